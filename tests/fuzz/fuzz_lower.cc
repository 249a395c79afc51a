// libFuzzer target: any bytes as a Dockerfile, through the instruction model and the
// lowering to the IR, with every base image resolving to a one-layer image. Lowering must
// return a Result, never crash or hang; a lowered graph must be deterministic.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "frontend/dockerfile_parser.h"
#include "frontend/dockerfile_to_ir.h"
#include "tests/support/any_image_resolver.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto ast = bt::frontend::ParseDockerfile(text, {});
  if (!ast) return 0;
  bt::frontend::LowerOptions options;
  options.build_platform = bt::oci::Platform{"linux", "amd64", ""};
  options.build_args = {{"A", "1"}, {"HTTP_PROXY", "http://p"}};
  bt::test::AnyImageResolver resolver;
  const auto first = bt::frontend::LowerDockerfile(*ast, options, resolver);
  if (!first) {
    if (first.error().code == bt::ErrorCode::kInternal) std::abort();
    return 0;
  }
  const auto second = bt::frontend::LowerDockerfile(*ast, options, resolver);
  if (!second || second->definition.graph.size() != first->definition.graph.size()) std::abort();
  for (bt::ir::VertexId v = 0; v < first->definition.graph.size(); ++v) {
    if (first->definition.graph.digest(v) != second->definition.graph.digest(v)) std::abort();
  }
  return 0;
}
