// Every Dockerfile under ../shared (semantics cases and bench workloads) lowers to the IR
// without error, and lowering is deterministic: the same input gives the same JSON bytes.
#include <filesystem>
#include <iostream>
#include <string>

#include <catch2/catch.hpp>

#include "frontend/dockerfile_parser.h"
#include "frontend/dockerfile_to_ir.h"
#include "solver/ir_print.h"
#include "tests/support/any_image_resolver.h"
#include "tests/support/conformance.h"

namespace bt::frontend {
namespace {

Result<std::string> LowerToJson(const std::string& text) {
  BT_ASSIGN_OR_RETURN(Ast ast, ParseDockerfile(text, ParseOptions{}));
  LowerOptions options;
  options.build_platform = oci::Platform{"linux", "amd64", ""};
  test::AnyImageResolver resolver;
  BT_ASSIGN_OR_RETURN(LoweredBuild lowered, LowerDockerfile(ast, options, resolver));
  return ir::GraphToJson(lowered.definition);
}

TEST_CASE("every positive Dockerfile under shared lowers, and the same way twice",
          "[frontend][lowering]") {
  const std::filesystem::path shared(BT_SHARED_DIR);
  int ran = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(shared)) {
    const std::string path = entry.path().string();
    if (entry.path().filename() != "Dockerfile") continue;
    if (path.find("/conformance/parser/") != std::string::npos) continue;
    if (path.find("/neg-") != std::string::npos) continue;
    INFO(path);
    const std::optional<std::string> text = test::ReadFile(entry.path());
    REQUIRE(text.has_value());
    const Result<std::string> first = LowerToJson(*text);
    if (!first) FAIL(first.error().message);
    const Result<std::string> second = LowerToJson(*text);
    REQUIRE(second.has_value());
    CHECK(*first == *second);
    ++ran;
  }
  std::cout << "lowering: " << ran << " shared Dockerfiles\n";
  CHECK(ran >= 50);
}

}  // namespace
}  // namespace bt::frontend
