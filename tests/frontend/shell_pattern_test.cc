// Shell pattern matching for ${VAR#p} ${VAR##p} ${VAR%p} ${VAR%%p} ${VAR/p/r} ${VAR//p/r}.
// Expected values are BuildKit's: each was produced by running frontend/dockerfile/shell/lex.go
// (moby/buildkit 73ed682, Go 1.19) on `${V<op>$P}` with V, P (and R) set to the inputs here,
// and lex_test.go TestConvertShellPatternToRegex gives the compile cases.
#include "frontend/shell/shell_pattern.h"

#include <catch2/catch.hpp>
#include <limits>
#include <string>

namespace bt::frontend {
namespace {

constexpr std::size_t kNoLimit = std::numeric_limits<std::size_t>::max();

std::string Prefix(std::string_view pattern, std::string_view value, AffixMatch match) {
  Result<std::string> result = TrimShellPrefix(pattern, value, match);
  REQUIRE(result.has_value());
  return *result;
}

std::string Suffix(std::string_view pattern, std::string_view value, AffixMatch match) {
  Result<std::string> result = TrimShellSuffix(pattern, value, match);
  REQUIRE(result.has_value());
  return *result;
}

std::string Replace(std::string_view value, std::string_view pattern, std::string_view repl,
                    ReplaceCount count) {
  Result<std::string> result = ReplaceShellPattern(value, pattern, repl, count, kNoLimit);
  REQUIRE(result.has_value());
  return *result;
}

constexpr auto kShortest = AffixMatch::kShortest;
constexpr auto kLongest = AffixMatch::kLongest;
constexpr auto kFirst = ReplaceCount::kFirst;
constexpr auto kAll = ReplaceCount::kAll;
const std::string kInvalid = "\xff";  // not UTF-8
const std::string kReplacement = "\uFFFD";
const std::string kByteOrderMark = "\uFEFF";

TEST_CASE("patterns compile like convertShellPatternToRegex", "[frontend][shell]") {
  for (const char* valid : {"*", "?", R"(\*)", R"((()[]{\}^$.\*\?|\\)"}) {
    INFO(valid);
    CHECK(ShellPattern::Compile(valid, ShellPattern::Stars::kGreedy).has_value());
  }
  for (const char* invalid : {R"(\)", R"(\x)", R"(\\\)"}) {
    INFO(invalid);
    Result<ShellPattern> compiled = ShellPattern::Compile(invalid, ShellPattern::Stars::kGreedy);
    REQUIRE_FALSE(compiled.has_value());
    CHECK(compiled.error().code == ErrorCode::kInvalidArgument);
  }
  // Regexp metacharacters and brackets are literal; `\}` and `\/` lose the backslash.
  CHECK(Prefix("[a]", "[a]b", kShortest) == "b");
  CHECK(Prefix("(a|b)", "(a|b)c", kShortest) == "c");
  CHECK(Prefix("a.c", "abc", kShortest) == "abc");
  CHECK(Prefix(R"(\})", "}x", kShortest) == "x");
}

TEST_CASE("# and % trim the shortest match, ## and %% the longest", "[frontend][shell]") {
  CHECK(Prefix("*x", "axbxc", kShortest) == "bxc");
  CHECK(Prefix("*x", "axbxc", kLongest) == "c");
  CHECK(Suffix("x*", "axbxc", kShortest) == "axb");
  CHECK(Suffix("x*", "axbxc", kLongest) == "a");
  // Escapes stay paired when BuildKit reverses a suffix pattern (lex.go reversePattern).
  CHECK(Suffix(R"(\*c)", "ab*c", kShortest) == "ab");
  CHECK(Suffix(R"(\\*)", R"(a\b\c)", kLongest) == "a");
}

TEST_CASE("* and ? never match a newline, as Go's regexp `.` does not", "[frontend][shell]") {
  CHECK(Prefix("*", "ab\ncd", kLongest) == "\ncd");
  CHECK(Suffix("*", "ab\ncd", kLongest) == "ab\n");
  CHECK(Prefix("a?c", "a\nc", kShortest) == "a\nc");
  // A newline written in the pattern is literal and matches.
  CHECK(Prefix("a\n*", "a\nbc\nd", kLongest) == "\nd");
  CHECK(Replace("ab1\nb2", "b*", "-", kFirst) == "a-\nb2");
}

TEST_CASE("patterns match runes, an invalid byte being one U+FFFD", "[frontend][shell]") {
  CHECK(Prefix("?", "한국", kShortest) == "국");
  CHECK(Prefix("?", kInvalid + "ab", kShortest) == "ab");
  CHECK(Prefix(kReplacement, kInvalid + "ab", kShortest) == "ab");
  CHECK(Replace("é" + kInvalid, "?", ".", kAll) == "..");
  // BuildKit reverses the value rune by rune for %, which re-encodes an invalid byte.
  CHECK(Suffix("x", kInvalid + "a", kShortest) == kReplacement + "a");
}

TEST_CASE("a byte order mark opening the (reversed) pattern is skipped", "[frontend][shell]") {
  // Go's text/scanner drops a leading U+FEFF; for % it is the reversed pattern that leads.
  CHECK(Prefix(kByteOrderMark + "a", "abc", kShortest) == "bc");
  CHECK(Suffix("a" + kByteOrderMark, "cba", kShortest) == "cb");
}

TEST_CASE("/ replaces the leftmost match once, taking the longest match at that start",
          "[frontend][shell]") {
  CHECK(Replace("aXbXc", "X", "-", kFirst) == "a-bXc");
  CHECK(Replace("a1b2b3", "b*", "-", kFirst) == "a1-");
  CHECK(Replace("xaxbxb", "a*b", "-", kFirst) == "x-");
  CHECK(Replace("abc", "", "-", kFirst) == "-abc");
  // No template expansion for a single replacement.
  CHECK(Replace("abc", "b", "[$0]", kFirst) == "a[$0]c");
}

TEST_CASE("// replaces like Go's Regexp.ReplaceAllString", "[frontend][shell]") {
  CHECK(Replace("aaa", "a", "b", kAll) == "bbb");
  CHECK(Replace("abc", "", "-", kAll) == "-a-b-c-");
  // An empty match right after a match is not replaced.
  CHECK(Replace("abc", "*", "-", kAll) == "-");
  CHECK(Replace("ab\ncd", "*", "-", kAll) == "-\n-");
  CHECK(Replace("ab ab\nab", "a*b", "-", kAll) == "-\n-");
}

TEST_CASE("// expands $ in the replacement like Go's Regexp.Expand", "[frontend][shell]") {
  CHECK(Replace("abc", "b", "[$0]", kAll) == "a[b]c");
  CHECK(Replace("abc", "b", "[${0}]", kAll) == "a[b]c");
  CHECK(Replace("abc", "b", "[${0}x]", kAll) == "a[bx]c");
  CHECK(Replace("abc", "b", "$$", kAll) == "a$c");
  // Names other than 0 refer to groups that do not exist.
  CHECK(Replace("abc", "b", "[$1]", kAll) == "a[]c");
  CHECK(Replace("abc", "b", "[$x]", kAll) == "a[]c");
  CHECK(Replace("abc", "b", "[$0x]", kAll) == "a[]c");
  CHECK(Replace("abc", "b", "[$00]", kAll) == "a[]c");
  CHECK(Replace("abc", "b", "[$é]", kAll) == "a[]c");
  // A malformed reference keeps its `$`.
  CHECK(Replace("abc", "b", "[${1]", kAll) == "a[${1]c");
  CHECK(Replace("abc", "b", "[$]", kAll) == "a[$]c");
  CHECK(Replace("abc", "b", "[$-]", kAll) == "a[$-]c");
  CHECK(Replace("abc", "b", "$", kAll) == "a$c");
}

TEST_CASE("invalid patterns are reported with the pattern BuildKit compiled", "[frontend][shell]") {
  Result<std::string> trailing = TrimShellPrefix(R"(\)", "x", kShortest);
  REQUIRE_FALSE(trailing.has_value());
  CHECK(trailing.error().code == ErrorCode::kInvalidArgument);
  CHECK(trailing.error().message ==
        "invalid pattern (\\) in substitution: invalid escape '\\\xEF\xBF\xBD'");
  Result<std::string> other = TrimShellPrefix(R"(\x)", "x", kShortest);
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().message == R"(invalid pattern (\x) in substitution: invalid escape '\x')");
  Result<std::string> reversed = TrimShellSuffix(R"(a\)", "a", kShortest);
  REQUIRE_FALSE(reversed.has_value());
  CHECK(reversed.error().message == R"(invalid pattern (\a) in substitution: invalid escape '\a')");
  Result<std::string> replace = ReplaceShellPattern("x", R"(\\\)", "", kAll, kNoLimit);
  REQUIRE_FALSE(replace.has_value());
  CHECK_THAT(replace.error().message, Catch::StartsWith(R"(invalid pattern (\\\) in)"));
}

TEST_CASE("matching a long value neither recurses nor backtracks", "[frontend][shell]") {
  // A backtracking matcher needs exponential time here, and std::regex overflows its stack.
  const std::string no_b(200000, 'a');
  const std::string with_b = no_b + "b";
  const char* pattern = "*a*a*a*b";
  CHECK(Prefix(pattern, no_b, kLongest) == no_b);
  CHECK(Prefix(pattern, no_b, kShortest) == no_b);
  CHECK(Prefix(pattern, with_b, kLongest).empty());
  CHECK(Prefix(pattern, with_b, kShortest).empty());
  CHECK(Suffix(pattern, with_b, kLongest).empty());
  CHECK(Suffix("a*", with_b, kLongest).empty());
  CHECK(Replace(no_b, pattern, "-", kAll) == no_b);
  CHECK(Replace(with_b, pattern, "-", kAll) == "-");
  CHECK(Replace(with_b, "?", "", kAll).empty());
}

}  // namespace
}  // namespace bt::frontend

namespace bt::frontend {
namespace {

TEST_CASE("a replacement that grows past the limit fails instead of growing", "[frontend][shell]") {
  // Every position of "abcd" matches the empty pattern: 5 insertions of 10 bytes + 4 = 54.
  const std::string repl(10, 'x');
  CHECK(ReplaceShellPattern("abcd", "", repl, ReplaceCount::kAll, 54)->size() == 54);
  const Result<std::string> over = ReplaceShellPattern("abcd", "", repl, ReplaceCount::kAll, 53);
  REQUIRE_FALSE(over.has_value());
  CHECK(over.error().message == "value exceeds 53 bytes");
  CHECK_FALSE(ReplaceShellPattern("abcd", "b", repl, ReplaceCount::kFirst, 12).has_value());
}

}  // namespace
}  // namespace bt::frontend
