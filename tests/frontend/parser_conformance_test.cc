// Runs every case of ../shared/conformance/parser (BuildKit's own parser test files and
// dumps, plus extra cases whose expectations BuildKit's parser produced); see its README.
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include <catch2/catch.hpp>

#include "frontend/dockerfile_parser.h"
#include "tests/support/conformance.h"

namespace bt::frontend {
namespace {

using bt::test::CaseDirs;
using bt::test::ConformancePath;
using bt::test::ReadFile;

Result<Ast> ParseCase(const std::filesystem::path& dir) {
  const std::optional<std::string> text = ReadFile(dir / "Dockerfile");
  REQUIRE(text.has_value());
  return ParseDockerfile(*text, ParseOptions{});
}

// The per-instruction lines and heredocs, in the shape of instructions.json.
nlohmann::json InstructionsJson(const Ast& ast) {
  nlohmann::json out = nlohmann::json::array();
  for (const Node& n : ast.instructions) {
    nlohmann::json heredocs = nlohmann::json::array();
    for (const Heredoc& h : n.heredocs) {
      heredocs.push_back({{"name", h.name},
                          {"fd", h.fd},
                          {"expand", h.expand},
                          {"chomp", h.chomp},
                          {"content", h.content}});
    }
    out.push_back({{"start", n.start_line}, {"end", n.end_line}, {"heredocs", heredocs}});
  }
  return out;
}

int RunPositive(const std::string& relative) {
  int ran = 0;
  for (const auto& dir : CaseDirs(ConformancePath(relative))) {
    INFO("case " << dir.string());
    const Result<Ast> ast = ParseCase(dir);
    if (!ast) FAIL("parse failed: " << ast.error().message);
    const std::optional<std::string> expected = ReadFile(dir / "result");
    REQUIRE(expected.has_value());
    CHECK(ast->Dump() + "\n" == *expected);
    if (const auto instructions = ReadFile(dir / "instructions.json")) {
      const nlohmann::json want = nlohmann::json::parse(*instructions);
      CHECK(InstructionsJson(*ast).dump(1) == want.dump(1));
    }
    ++ran;
  }
  return ran;
}

int RunNegative(const std::string& relative) {
  int ran = 0;
  for (const auto& dir : CaseDirs(ConformancePath(relative))) {
    INFO("case " << dir.string());
    const Result<Ast> ast = ParseCase(dir);
    CHECK_FALSE(ast.has_value());
    if (!ast) {
      CHECK(ast.error().code == ErrorCode::kInvalidArgument);
      CHECK(ast.error().where.has_value());
    }
    ++ran;
  }
  return ran;
}

TEST_CASE("every BuildKit parser test file dumps exactly as BuildKit dumps it",
          "[frontend][parser][conformance]") {
  const int ran = RunPositive("parser/positive");
  std::cout << "parser conformance: positive " << ran << " cases\n";
  CHECK(ran == 33);
}

TEST_CASE("every extra parser case matches BuildKit's dump, lines and heredocs",
          "[frontend][parser][conformance]") {
  const int ran = RunPositive("parser/extra/positive");
  std::cout << "parser conformance: extra/positive " << ran << " cases\n";
  CHECK(ran >= 15);
}

TEST_CASE("every Dockerfile BuildKit rejects is rejected with a location",
          "[frontend][parser][conformance]") {
  const int ran = RunNegative("parser/negative") + RunNegative("parser/extra/negative");
  std::cout << "parser conformance: negative " << ran << " cases\n";
  CHECK(ran == 11);
}

}  // namespace
}  // namespace bt::frontend
