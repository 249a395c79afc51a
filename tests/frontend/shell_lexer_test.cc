// ShellLexer against BuildKit's frontend/dockerfile/shell/lex_test.go (the expected values of
// TestProcessWithMatches, TestShellParserMandatoryEnvVars, TestProcessWithMatchesPlatform and
// TestGetEnv are copied from there), plus the lexer options, the `<<` rule and the error
// messages that lex.go produces. The shared tables are run by shell_conformance_test.cc.
#include "frontend/shell/shell_lexer.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

namespace bt::frontend {
namespace {

using Names = std::set<std::string>;
using Words = std::vector<std::string>;

std::string ExpandOrDie(const ShellLexer& lexer, std::string_view input, const ShellEnv& env) {
  Result<ExpandedWord> result = lexer.ProcessWord(input, env);
  INFO("input: " << input);
  REQUIRE(result.has_value());
  return result->word;
}

std::string ErrorOf(const ShellLexer& lexer, std::string_view input, const ShellEnv& env) {
  Result<ExpandedWord> result = lexer.ProcessWord(input, env);
  INFO("input: " << input);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::kInvalidArgument);
  return result.error().message;
}

Words WordsOrDie(const ShellLexer& lexer, std::string_view input, const ShellEnv& env) {
  Result<Words> result = lexer.ProcessWords(input, env);
  INFO("input: " << input);
  REQUIRE(result.has_value());
  return *result;
}

struct MatchCase {
  const char* input;
  MapShellEnv env;
  const char* expected;  // nullptr: the expansion fails
  Names matched;
  Names unmatched;
};

TEST_CASE("expansion gives BuildKit's results and found/missing variable names",
          "[frontend][shell]") {
  // lex_test.go TestProcessWithMatches, in its order. Go string escapes are undone: the Go
  // literal "${FOO#()[]{\\}^$.\\*\\?|\\\\}" is the raw string below.
  const std::vector<MatchCase> cases = {
      {"x", {{"DUMMY", "dummy"}}, "x", {}, {}},
      {"x ${UNUSED}", {{"DUMMY", "dummy"}}, "x ", {}, {"UNUSED"}},
      {"x ${FOO}", {{"FOO", "y"}}, "x y", {"FOO"}, {}},
      {"${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}",
       {{"FOO", "xxx"}, {"BAR", ""}},
       "xxx  ccc",
       {"FOO", "BAR"},
       {"BAZ"}},
      {"${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}",
       {{"FOO", "xxx"}, {"BAR", ""}},
       "xxx bbb ccc",
       {"FOO", "BAR"},
       {"BAZ"}},
      {"${FOO:-}", {{"FOO", "xxx"}, {"BAR", ""}}, "xxx", {"FOO"}, {}},
      {"${FOO:-}", {}, "", {}, {"FOO"}},
      {"${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}",
       {{"FOO", "xxx"}, {"BAR", ""}},
       "aaa bbb ",
       {"FOO", "BAR"},
       {"BAZ"}},
      {"${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}",
       {{"FOO", "xxx"}, {"BAR", ""}},
       "aaa  ",
       {"FOO", "BAR"},
       {"BAZ"}},
      {"${FOO?aaa}", {{"FOO", "xxx"}, {"BAR", ""}}, "xxx", {"FOO"}, {}},
      {"${BAR?bbb}", {{"FOO", "xxx"}, {"BAR", ""}}, "", {"BAR"}, {}},
      {"${BAZ?ccc}", {{"FOO", "xxx"}, {"BAR", ""}}, nullptr, {}, {}},
      {"${FOO:?aaa}", {{"FOO", "xxx"}, {"BAR", ""}}, "xxx", {"FOO"}, {}},
      {"${BAR:?bbb}", {{"FOO", "xxx"}, {"BAR", ""}}, nullptr, {}, {}},
      {"${BAZ:?ccc}", {{"FOO", "xxx"}, {"BAR", ""}}, nullptr, {}, {}},
      {"${BAZ:?}", {{"FOO", "xxx"}, {"BAR", ""}}, nullptr, {}, {}},
      {"${FOO=aaa}", {{"FOO", "xxx"}, {"BAR", ""}}, nullptr, {}, {}},
      {"${FOO=:aaa}", {{"FOO", "xxx"}, {"BAR", ""}}, nullptr, {}, {}},
      {"${FOO=}", {}, nullptr, {}, {}},
      {R"(${FOO#()[]{\}^$.\*\?|\\})", {{"FOO", R"(()[]{}^$.*?|\x)"}}, "x", {"FOO"}, {}},
      {R"(${FOO%%\**})", {{"FOO", "xx**"}}, "xx", {"FOO"}, {}},
      {"${FOO#*x*y}", {{"FOO", "xxyy"}}, "y", {"FOO"}, {}},
      {"${FOO#*}", {{"FOO", "xxyy"}}, "xxyy", {"FOO"}, {}},
      {"${FOO#$BAR}", {{"FOO", "xxyy"}, {"BAR", "x"}}, "xyy", {"FOO", "BAR"}, {}},
      {"${FOO#$BAR}", {{"FOO", "xxyy"}, {"BAR", ""}}, "xxyy", {"FOO", "BAR"}, {}},
      {"${FOO#}", {{"FOO", "xxyy"}}, "xxyy", {"FOO"}, {}},
      {"${FOO##*x}", {{"FOO", "xxyy"}}, "yy", {"FOO"}, {}},
      {"${FOO##}", {{"FOO", "xxyy"}}, "xxyy", {"FOO"}, {}},
      {R"(${FOO#?\?})", {{"FOO", "???y"}}, "?y", {"FOO"}, {}},
      {"${ABC:-.}${FOO%x}${ABC:-.}", {{"FOO", "xxyy"}}, ".xxyy.", {"FOO"}, {"ABC"}},
      {R"(${FOO%%\**\*})", {{"FOO", "a***yy*"}}, "a", {"FOO"}, {}},
      {"${FOO%}", {{"FOO", "xxyy"}}, "xxyy", {"FOO"}, {}},
      {"${FOO%%$BAR}", {{"FOO", "xxyy"}, {"BAR", ""}}, "xxyy", {"FOO", "BAR"}, {}},
      {"${FOO:#}", {}, nullptr, {}, {}},
      {"${FOO:##}", {}, nullptr, {}, {}},
      {"${FOO:%}", {}, nullptr, {}, {}},
      {"${FOO:%%}", {}, nullptr, {}, {}},
      {"${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}",
       {{"FOO", "/foo*/*/*.txt"}, {"NEEDLE", R"(\*/)"}},
       "/foo.*/*.txt - /foo..*.txt",
       {"FOO", "NEEDLE"},
       {}},
      {"${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}",
       {{"FOO", "/tmp/tmp/bar.txt"}, {"NEEDLE", "/tmp"}},
       "/tmp/bar.txt - /bar.txt",
       {"FOO", "NEEDLE"},
       {}},
      {"${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}",
       {{"FOO", "/a/foo/b/c.txt"}, {"NEEDLE", "/?/"}, {"REPLACEMENT", "/"}},
       "/foo/b/c.txt - /foo/c.txt",
       {"FOO", "NEEDLE", "REPLACEMENT"},
       {}},
      {"${FOO/$NEEDLE/$REPLACEMENT}",
       {{"FOO", "http://google.de"}, {"NEEDLE", "http://"}, {"REPLACEMENT", "https://"}},
       "https://google.de",
       {"FOO", "NEEDLE", "REPLACEMENT"},
       {}},
      {R"(${FOO//\//\/})", {{"FOO", "/tmp/foo.txt"}}, R"(\/tmp\/foo.txt)", {"FOO"}, {}},
      {"${FOO/$BAR/ww}", {{"FOO", "xxyy"}, {"BAR", ""}}, "wwxxyy", {"FOO", "BAR"}, {}},
      {"${FOO//ww}", {{"FOO", "xxyy"}}, nullptr, {}, {}},
      {"${FOO//}", {{"FOO", "xxyy"}}, nullptr, {}, {}},
      {"${FOO///}", {{"FOO", "xxyy"}}, "xxyy", {"FOO"}, {}},
      {"${FOO///}", {}, "", {}, {"FOO"}},
  };
  const ShellLexer lexer(ShellLexOptions{});
  for (const MatchCase& c : cases) {
    INFO("input: " << c.input);
    Result<ExpandedWord> result = lexer.ProcessWord(c.input, c.env);
    if (c.expected == nullptr) {
      CHECK_FALSE(result.has_value());
      continue;
    }
    REQUIRE(result.has_value());
    CHECK(result->word == c.expected);
    CHECK(result->matched == c.matched);
    CHECK(result->unmatched == c.unmatched);
  }
}

TEST_CASE("${VAR:?msg} and ${VAR?msg} fail with the expanded message", "[frontend][shell]") {
  // lex_test.go TestShellParserMandatoryEnvVars.
  const ShellLexer lexer(ShellLexOptions{});
  const MapShellEnv set_env{{"VAR", "plain"}, {"ARG", "x"}};
  const MapShellEnv empty_env{{"VAR", ""}, {"ARG", "x"}};
  const MapShellEnv unset_env{{"ARG", "x"}};
  const char* no_empty = "${VAR:?message here$ARG}";
  const char* no_unset = "${VAR?message here$ARG}";

  CHECK(ExpandOrDie(lexer, no_empty, set_env) == "plain");
  CHECK_THAT(ErrorOf(lexer, no_empty, empty_env), Catch::Contains("message herex"));
  CHECK_THAT(ErrorOf(lexer, no_empty, unset_env), Catch::Contains("message herex"));

  CHECK(ExpandOrDie(lexer, no_unset, set_env) == "plain");
  CHECK(ExpandOrDie(lexer, no_unset, empty_env).empty());
  CHECK_THAT(ErrorOf(lexer, no_unset, unset_env), Catch::Contains("message herex"));
}

TEST_CASE("a release file name with an optional variant expands as in BuildKit",
          "[frontend][shell]") {
  // lex_test.go TestProcessWithMatchesPlatform.
  const char* release =
      "something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz";
  const ShellLexer lexer(ShellLexOptions{});
  SECTION("with a variant") {
    const MapShellEnv env{{"VERSION", "v1.2.3"},
                          {"TARGETOS", "linux"},
                          {"TARGETARCH", "arm"},
                          {"TARGETVARIANT", "v7"}};
    CHECK(ExpandOrDie(lexer, release, env) == "something-v1.2.3.linux-arm-v7.tar.gz");
  }
  SECTION("with an empty variant") {
    const MapShellEnv env{{"VERSION", "v1.2.3"},
                          {"TARGETOS", "linux"},
                          {"TARGETARCH", "arm64"},
                          {"TARGETVARIANT", ""}};
    CHECK(ExpandOrDie(lexer, release, env) == "something-v1.2.3.linux-arm64.tar.gz");
  }
  SECTION("without a variant") {
    const MapShellEnv env{{"VERSION", "v1.2.3"}, {"TARGETOS", "linux"}, {"TARGETARCH", "arm64"}};
    CHECK(ExpandOrDie(lexer, release, env) == "something-v1.2.3.linux-arm64.tar.gz");
  }
}

TEST_CASE("a variable set twice has its last value and set-but-empty is not unset",
          "[frontend][shell]") {
  // lex_test.go TestGetEnv.
  MapShellEnv env;
  CHECK_FALSE(env.Lookup("foo").has_value());
  env.Set("foo", "");
  REQUIRE(env.Lookup("foo").has_value());
  CHECK(env.Lookup("foo")->empty());
  env.Set("foo", "bar");
  env.Set("car", "hat");
  env.Set("car", "bike");
  CHECK(env.Lookup("foo") == "bar");
  CHECK(env.Lookup("car") == "bike");
  CHECK_FALSE(env.Lookup("FOO").has_value());
}

TEST_CASE("the backtick escape character escapes like a backslash, which becomes ordinary",
          "[frontend][shell]") {
  ShellLexOptions options;
  options.escape = U'`';
  const ShellLexer lexer(options);
  const MapShellEnv env{{"A", "x"}};
  CHECK(ExpandOrDie(lexer, "a`$A", env) == "a$A");
  CHECK(ExpandOrDie(lexer, R"(c:\path\$A)", env) == R"(c:\path\x)");
  CHECK(ExpandOrDie(lexer, "\"a`\"b\"", env) == "a\"b");
  CHECK(ExpandOrDie(lexer, R"("a\")", env) == R"(a\)");
  CHECK(ExpandOrDie(lexer, "\"a``b`c\"", env) == "a`b`c");
  CHECK(ExpandOrDie(lexer, "ab`", env) == "ab");
  CHECK(WordsOrDie(lexer, "a` b c", env) == Words{"a b", "c"});
}

TEST_CASE("raw quotes keep quote characters and raw escapes keep escape characters",
          "[frontend][shell]") {
  const MapShellEnv env{{"A", "x y"}};
  SECTION("raw quotes") {
    ShellLexOptions options;
    options.raw_quotes = true;
    const ShellLexer lexer(options);
    CHECK(ExpandOrDie(lexer, R"('a b'"c $A")", env) == R"('a b'"c x y")");
    CHECK(WordsOrDie(lexer, R"(p 'a b' "$A")", env) == Words{"p", "'a b'", "\"x y\""});
  }
  SECTION("raw escapes") {
    ShellLexOptions options;
    options.raw_escapes = true;
    const ShellLexer lexer(options);
    CHECK(ExpandOrDie(lexer, R"(a\ b\$A)", env) == R"(a\ b\$A)");
    CHECK(WordsOrDie(lexer, R"(a\ b c)", env) == Words{R"(a\ b)", "c"});
    CHECK(ExpandOrDie(lexer, R"(ab\)", env) == R"(ab\)");
    CHECK(ExpandOrDie(lexer, R"("\"\$")", env) == R"(\"\$)");
    // lex.go processDoubleQuote writes an escape that escapes nothing twice.
    CHECK(ExpandOrDie(lexer, R"("\t")", env) == R"(\\t)");
    // Inside ${VAR:-...} escapes are processed again (processStopOn(..., false)).
    CHECK(ExpandOrDie(lexer, R"(${B:-\$A})", env) == "$A");
  }
}

TEST_CASE("skip_process_quotes treats quotes as ordinary characters", "[frontend][shell]") {
  ShellLexOptions options;
  options.skip_process_quotes = true;
  const ShellLexer lexer(options);
  const MapShellEnv env{{"A", "x"}};
  CHECK(ExpandOrDie(lexer, "'$A' \"$A\"", env) == "'x' \"x\"");
  CHECK(WordsOrDie(lexer, "\"a b\"", env) == Words{"\"a", "b\""});
  CHECK(ExpandOrDie(lexer, "'unbalanced", env) == "'unbalanced");
}

TEST_CASE("skip_unset_env leaves unset variables as written", "[frontend][shell]") {
  ShellLexOptions options;
  options.skip_unset_env = true;
  const ShellLexer lexer(options);
  const MapShellEnv env{{"SET", "v"}};
  CHECK(ExpandOrDie(lexer, "$X ${X} $SET ${SET:-d}", env) == "$X ${X} v v");
  CHECK(ExpandOrDie(lexer, "${X:-d} ${X+a} ${X:?} ${X##a*}", env) ==
        "${X:-d} ${X+a} ${X:?} ${X##a*}");
  // The expanded word is written back, and lex.go writes a single `/` for `//`.
  CHECK(ExpandOrDie(lexer, "${X:-'q'} ${X//a/b}", env) == "${X:-q} ${X/a/b}");
  // Unsupported modifiers of unset variables are not reported either.
  CHECK(ExpandOrDie(lexer, "${X:Y}", env) == "${X:Y}");
}

TEST_CASE("`<<` keeps the whitespace after it in the same word", "[frontend][shell]") {
  const ShellLexer lexer(ShellLexOptions{});
  const MapShellEnv env;
  CHECK(WordsOrDie(lexer, "cat <<  EOF x", env) == Words{"cat", "<<  EOF", "x"});
  CHECK(WordsOrDie(lexer, "cat <<\t\rEOF", env) == Words{"cat", "<<\t\rEOF"});
  CHECK(WordsOrDie(lexer, "cat <<- EOF", env) == Words{"cat", "<<-", "EOF"});
  CHECK(WordsOrDie(lexer, "a<b < c", env) == Words{"a<b", "<", "c"});
  CHECK(ExpandOrDie(lexer, "a << b", env) == "a << b");
  SECTION("with the settings of BuildKit's parser (parser.go heredocsFromLine)") {
    ShellLexOptions options;
    options.raw_quotes = true;
    options.raw_escapes = true;
    options.skip_unset_env = true;
    const ShellLexer raw(options);
    CHECK(WordsOrDie(raw, R"(RUN 3<<"EOF" <<\E$X cat)", env) ==
          Words{"RUN", R"(3<<"EOF")", R"(<<\E$X)", "cat"});
  }
}

TEST_CASE("ProcessWords splits on unquoted whitespace, also inside a variable's value",
          "[frontend][shell]") {
  const ShellLexer lexer(ShellLexOptions{});
  const MapShellEnv env{{"V", " x \t y "}, {"E", ""}};
  CHECK(WordsOrDie(lexer, "a${V}b", env) == Words{"a", "x", "y", "b"});
  CHECK(WordsOrDie(lexer, "a\"$V\"b", env) == Words{"a x \t y b"});
  CHECK(WordsOrDie(lexer, "a '' $E b", env) == Words{"a", "b"});
  CHECK(WordsOrDie(lexer, "   ", env).empty());
  CHECK(ExpandOrDie(lexer, "a${V}b", env) == "a x \t y b");
}

TEST_CASE("in ProcessWords a ${VAR<op>...} drops the part of its word before it",
          "[frontend][shell]") {
  // lex.go processStopOn resets the word buffer it shares with the levels around it.
  const ShellLexer lexer(ShellLexOptions{});
  const MapShellEnv env{{"X", "x"}};
  CHECK(WordsOrDie(lexer, "pre a${U:-b}c", env) == Words{"pre", "bc"});
  CHECK(WordsOrDie(lexer, "a\"${U:-b}\"c", env) == Words{"bc"});
  CHECK(WordsOrDie(lexer, "a${X}c", env) == Words{"axc"});
  CHECK(ExpandOrDie(lexer, "a${U:-b}c", env) == "abc");
}

TEST_CASE("positional and special parameters are looked up by their own names",
          "[frontend][shell]") {
  const ShellLexer lexer(ShellLexOptions{});
  const MapShellEnv env{{"1", "one"}, {"é", "e"}};
  Result<ExpandedWord> result = lexer.ProcessWord("$1$12x${#}$@@$é", env);
  REQUIRE(result.has_value());
  CHECK(result->word == "onex@e");
  CHECK(result->matched == Names{"1", "é"});
  CHECK(result->unmatched == Names{"12", "#", "@"});
  // U+0661 ARABIC-INDIC DIGIT ONE is a digit for Go's unicode.IsDigit.
  CHECK(ExpandOrDie(lexer, "$\u0661x", env) == "x");
}

TEST_CASE("input is read as Go's text/scanner reads it", "[frontend][shell]") {
  const ShellLexer lexer(ShellLexOptions{});
  const MapShellEnv env{{"V", "a\xff"}};
  // A byte order mark at the start is skipped; a second one is kept.
  const std::string bom = "\uFEFF";
  CHECK(ExpandOrDie(lexer, bom + "ab", env) == "ab");
  CHECK(ExpandOrDie(lexer, bom + bom + "ab", env) == bom + "ab");
  // An invalid byte of the input reads as U+FFFD; one in a value is copied as is, except
  // into the words, where Go re-encodes the value rune by rune.
  CHECK(ExpandOrDie(lexer, "a\xff", env) == "a\xEF\xBF\xBD");
  CHECK(ExpandOrDie(lexer, "$V", env) == "a\xff");
  CHECK(WordsOrDie(lexer, "$V", env) == Words{"a\xEF\xBF\xBD"});
}

TEST_CASE("errors carry BuildKit's messages", "[frontend][shell]") {
  const ShellLexer lexer(ShellLexOptions{});
  const MapShellEnv env{{"a", "abc"}, {"N", ""}};
  CHECK(ErrorOf(lexer, "${a:-b", env) ==
        R"(failed to process "${a:-b": syntax error: missing '}')");
  CHECK(ErrorOf(lexer, "${", env) == R"(failed to process "${": syntax error: missing '}')");
  // lex.go reads EOF as the modifier, and Go's string(EOF) is U+FFFD.
  CHECK(ErrorOf(lexer, "${a", env) ==
        "failed to process \"${a\": unsupported modifier (\xEF\xBF\xBD) in substitution");
  CHECK(ErrorOf(lexer, "${}", env) == R"(failed to process "${}": syntax error: bad substitution)");
  CHECK(ErrorOf(lexer, "${:-x}", env) ==
        R"(failed to process "${:-x}": syntax error: bad substitution)");
  CHECK(
      ErrorOf(lexer, "'abc", env) ==
      R"(failed to process "'abc": unexpected end of statement while looking for matching single-quote)");
  CHECK(
      ErrorOf(lexer, "\"abc", env) ==
      R"(failed to process "\"abc": unexpected end of statement while looking for matching double-quote)");
  CHECK(ErrorOf(lexer, "${X:?}", env) ==
        R"(failed to process "${X:?}": X: is not allowed to be unset)");
  CHECK(ErrorOf(lexer, "${N:?}", env) ==
        R"(failed to process "${N:?}": N: is not allowed to be empty)");
  CHECK(ErrorOf(lexer, "${X?oops}", env) == R"(failed to process "${X?oops}": X: oops)");
  CHECK(ErrorOf(lexer, "${a:#x}", env) ==
        R"(failed to process "${a:#x}": unsupported modifier (:#) in substitution)");
  CHECK(ErrorOf(lexer, "${a=b}", env) ==
        R"(failed to process "${a=b}": unsupported modifier (=) in substitution)");
  CHECK(ErrorOf(lexer, "${a:x}", env) ==
        R"(failed to process "${a:x}": unsupported modifier (:x) in substitution)");
  CHECK(ErrorOf(lexer, "${a/b", env) ==
        R"(failed to process "${a/b": syntax error: missing '/' in ${})");
  CHECK(ErrorOf(lexer, "${a/b/c", env) ==
        R"(failed to process "${a/b/c": syntax error: missing '}')");
  CHECK(
      ErrorOf(lexer, R"(${a#\x})", env) ==
      R"(failed to process "${a#\\x}": invalid pattern (\x) in substitution: invalid escape '\x')");
  // A suffix pattern is reported reversed, as BuildKit reports it.
  CHECK(
      ErrorOf(lexer, R"(${a%ab\x})", env) ==
      R"(failed to process "${a%ab\\x}": invalid pattern (\xba) in substitution: invalid escape '\x')");
  // An error inside a nested word is passed up unless the input ended.
  CHECK(ErrorOf(lexer, "${a:-${b:?x}}", env) == R"(failed to process "${a:-${b:?x}}": b: x)");
  CHECK(ErrorOf(lexer, "${a:-'x}", env) ==
        R"(failed to process "${a:-'x}": syntax error: missing '}')");
}

TEST_CASE("deeply nested substitutions are rejected instead of exhausting the stack",
          "[frontend][shell]") {
  const ShellLexer lexer(ShellLexOptions{});
  const MapShellEnv env;
  auto nested = [](int depth) {
    std::string word;
    for (int i = 0; i < depth; ++i) word += "${a:-";
    word += "x";
    word.append(static_cast<std::size_t>(depth), '}');
    return word;
  };
  CHECK(ExpandOrDie(lexer, nested(50), env) == "x");
  CHECK_THAT(ErrorOf(lexer, nested(100000), env), Catch::Contains("nested more than 100 levels"));
}

}  // namespace
}  // namespace bt::frontend

namespace bt::frontend {
namespace {

TEST_CASE("an expansion that grows past the value limit fails with a clear error",
          "[frontend][shell]") {
  // SECURITY.md case 44: `ENV b=$a$a` doubled 40 times, and nested replace-all bombs.
  ShellLexOptions options;
  options.max_value_bytes = 1000;
  const ShellLexer lexer(options);
  const MapShellEnv env{{"a", std::string(400, 'a')}, {"s", "0123456789"}};
  CHECK(lexer.ProcessWord("$a$a", env)->word.size() == 800);
  const Result<ExpandedWord> doubled = lexer.ProcessWord("$a$a$a", env);
  REQUIRE_FALSE(doubled.has_value());
  CHECK(doubled.error().message.find("value exceeds 1000 bytes") != std::string::npos);
  const Result<ExpandedWord> nested = lexer.ProcessWord("${s///${s///${s///$s}}}", env);
  REQUIRE_FALSE(nested.has_value());
  CHECK(nested.error().message.find("value exceeds 1000 bytes") != std::string::npos);
  CHECK(ShellLexOptions{}.max_value_bytes == 1u << 20);
}

}  // namespace
}  // namespace bt::frontend
