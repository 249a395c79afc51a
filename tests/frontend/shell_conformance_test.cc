// Runs BuildKit's shell-word tables (frontend/dockerfile/shell/envVarTest and wordsTest, copied
// byte for byte into shared/conformance/shell) through ShellLexer, reading them by the rules
// of shared/conformance/parser/README.md, "Shell-word tables" (which follow lex_test.go's
// TestShellParser4EnvVars and TestShellParser4Words).
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/shell/shell_lexer.h"
#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

std::string ShellTablePath(const char* name) {
  return std::string(BT_SHARED_DIR) + "/conformance/shell/" + name;
}

// bufio.Scanner with ScanLines: split after each `\n`, drop one trailing `\r`, and no empty
// last line for a file that ends in a newline.
std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream content;
  content << in.rdbuf();
  const std::string text = content.str();
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    begin = end + 1;
  }
  return lines;
}

// Go's strings.Split: n separators always give n + 1 fields.
std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> fields;
  for (;;) {
    const std::size_t at = s.find(sep);
    fields.emplace_back(s.substr(0, at));
    if (at == std::string_view::npos) return fields;
    s.remove_prefix(at + 1);
  }
}

std::string Trim(std::string_view s) { return std::string(unicode::TrimSpace(s)); }

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out = "[";
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += ", ";
    out += unicode::Quote(words[i]);
  }
  return out + "]";
}

void ReportCounts(const char* table, int ran, int passed) {
  std::cout << "shell conformance: " << table << " " << passed << "/" << ran << " passed\n";
}

TEST_CASE("every case of BuildKit's envVarTest expands to the expected single word",
          "[frontend][shell]") {
  const std::vector<std::string> lines = ReadLines(ShellTablePath("envVarTest"));
  MapShellEnv env;
  env.Set("PWD", "/home");
  env.Set("SHELL", "bash");
  env.Set("KOREAN", "한국어");
  env.Set("NULL", "");
  const ShellLexer lexer(ShellLexOptions{});

  int ran = 0;
  int passed = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind('#', 0) == 0) continue;
    const std::string line = Trim(lines[i]);
    if (line.empty()) continue;
    INFO("envVarTest line " << i + 1 << ": " << lines[i]);
    const std::vector<std::string> fields = Split(line, '|');
    REQUIRE(fields.size() == 3);
    const std::string platform = Trim(fields[0]);
    const std::string source = Trim(fields[1]);
    const std::string expected = Trim(fields[2]);
    REQUIRE((platform == "A" || platform == "U" || platform == "W"));
    if (platform == "W") continue;  // Windows-only expectations

    ++ran;
    const Result<ExpandedWord> result = lexer.ProcessWord(source, env);
    const std::string got =
        result.has_value() ? unicode::Quote(result->word) : "error: " + result.error().message;
    INFO("got " << got);
    const bool ok =
        expected == "error" ? !result.has_value() : result.has_value() && result->word == expected;
    CHECK(ok);
    if (ok) ++passed;
  }
  ReportCounts("envVarTest", ran, passed);
  CHECK(ran > 0);
  CHECK(passed == ran);
}

TEST_CASE("every case of BuildKit's wordsTest splits into the expected words",
          "[frontend][shell]") {
  const std::vector<std::string> lines = ReadLines(ShellTablePath("wordsTest"));
  MapShellEnv env;
  const ShellLexer lexer(ShellLexOptions{});

  int ran = 0;
  int passed = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.rfind('#', 0) == 0) continue;
    INFO("wordsTest line " << i + 1 << ": " << line);
    if (line.rfind("ENV ", 0) == 0) {
      // The value keeps its trailing spaces; some cases depend on them.
      std::string_view assignment = std::string_view(line).substr(3);
      assignment.remove_prefix(std::min(assignment.find_first_not_of(' '), assignment.size()));
      const std::size_t eq = assignment.find('=');
      if (eq == std::string_view::npos) {
        env.Set(std::string(assignment), "");
      } else {
        env.Set(std::string(assignment.substr(0, eq)), std::string(assignment.substr(eq + 1)));
      }
      continue;
    }
    const std::vector<std::string> fields = Split(line, '|');
    REQUIRE(fields.size() == 2);
    const std::string input = Trim(fields[0]);
    std::string_view expected_field = fields[1];
    expected_field.remove_prefix(
        std::min(expected_field.find_first_not_of(' '), expected_field.size()));
    const std::vector<std::string> expected = Split(expected_field, ',');

    ++ran;
    Result<std::vector<std::string>> result = lexer.ProcessWords(input, env);
    const std::vector<std::string> words =
        result.has_value() ? *result : std::vector<std::string>{"error"};
    INFO("got " << JoinWords(words) << ", want " << JoinWords(expected));
    CHECK(words == expected);
    if (words == expected) ++passed;
  }
  ReportCounts("wordsTest", ran, passed);
  CHECK(ran > 0);
  CHECK(passed == ran);
}

}  // namespace
}  // namespace bt::frontend
