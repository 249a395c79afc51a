// PathPatterns and ReadDockerignore against moby/patternmatcher's own tables
// (patternmatcher_test.go: TestMatches, TestMatch, the TestCleanPatterns* cases, and the
// moby#52203 regression; ignorefile_test.go: TestReadAll) and the Dockerfile reference's
// .dockerignore examples (docs.docker.com/build/concepts/context/#dockerignore-files).
#include "cache/path_patterns.h"

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace bt::cache {
namespace {

// patternmatcher.New(patterns).MatchesOrParentMatches(text).
bool Excluded(const std::vector<std::string>& patterns, const std::string& text) {
  Result<PathPatterns> pm = PathPatterns::Parse(patterns);
  INFO("patterns[0]=" << (patterns.empty() ? "" : patterns[0]) << " text=" << text);
  REQUIRE(pm.has_value());
  return pm->Excluded(text);
}

struct Case {
  const char* pattern;
  const char* text;
  bool pass;
};

// patternmatcher_test.go TestMatches `tests` (plus the non-Windows "a\\*b" case).
constexpr Case kMatchesCases[] = {
    {"**", "file", true},
    {"**", "file/", true},
    {"**/", "file", true},
    {"**/", "file/", true},
    {"**", "/", true},
    {"**/", "/", true},
    {"**", "dir/file", true},
    {"**/", "dir/file", true},
    {"**", "dir/file/", true},
    {"**/", "dir/file/", true},
    {"**/**", "dir/file", true},
    {"**/**", "dir/file/", true},
    {"dir/**", "dir/file", true},
    {"dir/**", "dir/file/", true},
    {"dir/**", "dir/dir2/file", true},
    {"dir/**", "dir/dir2/file/", true},
    {"**/dir", "dir", true},
    {"**/dir", "dir/file", true},
    {"**/dir2/*", "dir/dir2/file", true},
    {"**/dir2/*", "dir/dir2/file/", true},
    {"**/dir2/**", "dir/dir2/dir3/file", true},
    {"**/dir2/**", "dir/dir2/dir3/file/", true},
    {"**file", "file", true},
    {"**file", "dir/file", true},
    {"**/file", "dir/file", true},
    {"**file", "dir/dir/file", true},
    {"**/file", "dir/dir/file", true},
    {"**/file*", "dir/dir/file", true},
    {"**/file*", "dir/dir/file.txt", true},
    {"**/file*txt", "dir/dir/file.txt", true},
    {"**/file*.txt", "dir/dir/file.txt", true},
    {"**/file*.txt*", "dir/dir/file.txt", true},
    {"**/**/*.txt", "dir/dir/file.txt", true},
    {"**/**/*.txt2", "dir/dir/file.txt", false},
    {"**/*.txt", "file.txt", true},
    {"**/**/*.txt", "file.txt", true},
    {"a**/*.txt", "a/file.txt", true},
    {"a**/*.txt", "a/dir/file.txt", true},
    {"a**/*.txt", "a/dir/dir/file.txt", true},
    {"a/*.txt", "a/dir/file.txt", false},
    {"a/*.txt", "a/file.txt", true},
    {"a/*.txt**", "a/file.txt", true},
    {"a[b-d]e", "ae", false},
    {"a[b-d]e", "ace", true},
    {"a[b-d]e", "aae", false},
    {"a[^b-d]e", "aze", true},
    {".*", ".foo", true},
    {".*", "foo", false},
    {"abc.def", "abcdef", false},
    {"abc.def", "abc.def", true},
    {"abc.def", "abcZdef", false},
    {"abc?def", "abcZdef", true},
    {"abc?def", "abcdef", false},
    {"a\\\\", "a\\", true},
    {"**/foo/bar", "foo/bar", true},
    {"**/foo/bar", "dir/foo/bar", true},
    {"**/foo/bar", "dir/dir2/foo/bar", true},
    {"abc/**", "abc", false},
    {"abc/**", "abc/def", true},
    {"abc/**", "abc/def/ghi", true},
    {"**/.foo", ".foo", true},
    {"**/.foo", "bar.foo", false},
    {"a(b)c/def", "a(b)c/def", true},
    {"a(b)c/def", "a(b)c/xyz", false},
    {"a.|)$(}+{bc", "a.|)$(}+{bc", true},
    {"dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
    {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
    {"a\\*b", "a*b", true},
};

TEST_CASE("patternmatcher TestMatches single-pattern table", "[cache][path_patterns]") {
  for (const Case& c : kMatchesCases) {
    INFO("pattern=" << c.pattern << " text=" << c.text);
    CHECK(Excluded({c.pattern}, c.text) == c.pass);
  }
}

TEST_CASE("patternmatcher TestMatches multi-pattern table: later lines win",
          "[cache][path_patterns]") {
  CHECK_FALSE(Excluded({"**", "!util/docker/web"}, "util/docker/web/foo"));
  CHECK(Excluded({"**", "!util/docker/web", "util/docker/web/foo"}, "util/docker/web/foo"));
  CHECK_FALSE(Excluded({"**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"},
                       "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"));
  CHECK_FALSE(Excluded({"**", "!dist/*.whl"},
                       "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"));
}

TEST_CASE("patternmatcher's simple cases: wildcard, exceptions before and after, folders",
          "[cache][path_patterns]") {
  CHECK(Excluded({"*"}, "fileutils.go"));
  CHECK(Excluded({"*.go"}, "fileutils.go"));
  CHECK(Excluded({"!fileutils.go", "*.go"}, "fileutils.go"));
  CHECK_FALSE(Excluded({"docs", "!docs/README.md"}, "docs/README.md"));
  CHECK_FALSE(Excluded({"docs/", "!docs/README.md"}, "docs/README.md"));
  CHECK_FALSE(Excluded({"docs/*", "!docs/README.md"}, "docs/README.md"));
  CHECK_FALSE(Excluded({"*.go", "!fileutils.go"}, "fileutils.go"));
  CHECK_FALSE(Excluded({"*.go"}, "."));
  CHECK_FALSE(Excluded({}, "/any/path/there"));
}

struct MatchCase {
  const char* pattern;
  const char* s;
  bool match;
  bool bad_pattern;
};

// patternmatcher_test.go matchTests ("stolen from go's filepath Match tests"), run through
// the top-level Matches, whose parent rule agrees with MatchesOrParentMatches on all of them.
constexpr MatchCase kGoMatchCases[] = {
    {"abc", "abc", true, false},
    {"*", "abc", true, false},
    {"*c", "abc", true, false},
    {"a*", "a", true, false},
    {"a*", "abc", true, false},
    {"a*", "ab/c", true, false},
    {"a*/b", "abc/b", true, false},
    {"a*/b", "a/c/b", false, false},
    {"a*b*c*d*e*/f", "axbxcxdxe/f", true, false},
    {"a*b*c*d*e*/f", "axbxcxdxexxx/f", true, false},
    {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false, false},
    {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", false, false},
    {"a*b?c*x", "abxbbxdbxebxczzx", true, false},
    {"a*b?c*x", "abxbbxdbxebxczzy", false, false},
    {"ab[c]", "abc", true, false},
    {"ab[b-d]", "abc", true, false},
    {"ab[e-g]", "abc", false, false},
    {"ab[^c]", "abc", false, false},
    {"ab[^b-d]", "abc", false, false},
    {"ab[^e-g]", "abc", true, false},
    {"a\\*b", "a*b", true, false},
    {"a\\*b", "ab", false, false},
    {"a?b", "a\u263Ab", true, false},
    {"a[^a]b", "a\u263Ab", true, false},
    {"a???b", "a\u263Ab", false, false},
    {"a[^a][^a][^a]b", "a\u263Ab", false, false},
    {"[a-\u03B6]*", "\u03B1", true, false},
    {"*[a-\u03B6]", "A", false, false},
    {"a?b", "a/b", false, false},
    {"a*b", "a/b", false, false},
    {"[\\]a]", "]", true, false},
    {"[\\-]", "-", true, false},
    {"[x\\-]", "x", true, false},
    {"[x\\-]", "-", true, false},
    {"[x\\-]", "z", false, false},
    {"[\\-x]", "x", true, false},
    {"[\\-x]", "-", true, false},
    {"[\\-x]", "a", false, false},
    {"[]a]", "]", false, true},
    {"[-]", "-", false, true},
    {"[x-]", "x", false, true},
    {"[x-]", "-", false, true},
    {"[x-]", "z", false, true},
    {"[-x]", "x", false, true},
    {"[-x]", "-", false, true},
    {"[-x]", "a", false, true},
    {"\\", "a", false, true},
    {"[a-b-c]", "a", false, true},
    {"[", "a", false, true},
    {"[^", "a", false, true},
    {"[^bc", "a", false, true},
    {"a[", "a", false, true},
    {"a[", "ab", false, true},
    {"*x", "xxx", true, false},
};

TEST_CASE("patternmatcher TestMatch: Go filepath.Match syntax and its bad patterns",
          "[cache][path_patterns]") {
  for (const MatchCase& c : kGoMatchCases) {
    INFO("pattern=" << c.pattern << " s=" << c.s);
    Result<PathPatterns> pm = PathPatterns::Parse({c.pattern});
    if (c.bad_pattern) {
      REQUIRE_FALSE(pm.has_value());
      CHECK(pm.error().code == ErrorCode::kInvalidArgument);
      continue;
    }
    REQUIRE(pm.has_value());
    CHECK(pm->Excluded(CleanSlashPath(c.s)) == c.match);
  }
}

TEST_CASE("a lone '!' is an illegal exclusion pattern, empty lines are dropped",
          "[cache][path_patterns]") {
  Result<PathPatterns> bang = PathPatterns::Parse({"!"});
  REQUIRE_FALSE(bang.has_value());
  CHECK(bang.error().message == "illegal exclusion pattern: \"!\"");
  Result<PathPatterns> pm = PathPatterns::Parse({"docs", "config", ""});
  REQUIRE(pm.has_value());
  CHECK_FALSE(pm->has_exceptions());
  // TestCleanPatternsLeadingSpaceTrimmed / TrailingSpaceTrimmed.
  CHECK(PathPatterns::Parse({"docs", "  !docs/README.md"})->has_exceptions());
  CHECK(PathPatterns::Parse({"docs", "!docs/README.md  "})->has_exceptions());
}

TEST_CASE("a pattern Go's regexp would reject fails at parse time (moby#52203)",
          "[cache][path_patterns]") {
  // filepath.Match accepts the range l-O; regexp.Compile does not, so patternmatcher fails
  // every match with ErrBadPattern. We fail when parsing.
  Result<PathPatterns> pm = PathPatterns::Parse({"[Local-Only]/"});
  REQUIRE_FALSE(pm.has_value());
  CHECK(pm.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("quirks of patternmatcher's regexp translation are kept", "[cache][path_patterns]") {
  // Go's filepath.Match has no '!' negation in classes: "[!a]" is the set {'!', 'a'}.
  CHECK(Excluded({"x[!a]"}, "x!"));
  CHECK(Excluded({"x[!a]"}, "xa"));
  CHECK_FALSE(Excluded({"x[!a]"}, "xb"));
  // '?' and '*' are translated even inside a class: "[?]" becomes "[[^/]]", the set
  // {'[', '^', '/'} followed by a literal ']'.
  CHECK(Excluded({"x[?]"}, "x[]"));
  CHECK_FALSE(Excluded({"x[?]"}, "x?"));
  // A POSIX class reaches the regexp untouched.
  CHECK(Excluded({"[[:digit:]]x"}, "7x"));
  CHECK_FALSE(Excluded({"[[:digit:]]x"}, "ax"));
  // "**" ends in Go's '.', which does not match a newline, when the pattern is a regexp.
  CHECK(Excluded({"a/**/b*"}, "a/x/y/bc"));
  CHECK_FALSE(Excluded({"a/**/b*"}, "a/x\ny/bc"));
  // "**file" is a plain suffix test, so it also matches "profile".
  CHECK(Excluded({"**file"}, "profile"));
  // A '^' outside a class is the regexp's begin-of-text anchor.
  CHECK(Excluded({"^foo*"}, "foobar"));
  CHECK_FALSE(Excluded({"a^b*"}, "a^bc"));
  CHECK(Excluded({"a^b"}, "a^b"));  // no wildcard: an exact string comparison
  // Its escape bitmap misses '|', '{' and '}': they are regexp alternation and counted
  // repetition, and an alternation unanchors the search (Regexp.MatchString).
  CHECK(Excluded({"a{2}*"}, "aab"));
  CHECK_FALSE(Excluded({"a{2}*"}, "ab"));
  CHECK(Excluded({"a{2}"}, "a{2}"));  // no wildcard: an exact string comparison
  CHECK(Excluded({"x|y*"}, "zzz/yak"));
  CHECK(Excluded({"x|y*"}, "xa.b"));
  CHECK_FALSE(Excluded({"x|y*"}, "axe"));
  CHECK_FALSE(Excluded({"x|y*"}, "zzz"));
  // Other backslash escapes are the regexp's: \d is a digit, \b a word boundary.
  CHECK(Excluded({"f\\d"}, "f1"));
  CHECK_FALSE(Excluded({"f\\d"}, "fd"));
  CHECK_FALSE(Excluded({"dir\\bin"}, "dirbin"));
  CHECK(Excluded({"a\\b"}, "a"));
  CHECK_FALSE(PathPatterns::Parse({"a\\q"}).has_value());  // Go: invalid escape sequence
  // Patterns are cleaned: "./a/../b/" is "b"; "." and ".." never match a path in the context.
  CHECK(Excluded({"./a/../b/"}, "b/c"));
  CHECK_FALSE(Excluded({"."}, "a"));
  CHECK_FALSE(Excluded({"../a"}, "a"));
}

TEST_CASE("the Dockerfile reference's .dockerignore examples", "[cache][path_patterns]") {
  const std::vector<std::string> lines = *ReadDockerignore(R"(# comment
*/temp*
*/*/temp*
temp?
)");
  Result<PathPatterns> pm = PathPatterns::Parse(lines);
  REQUIRE(pm.has_value());
  CHECK(pm->Excluded("somedir/temporary.txt"));
  CHECK(pm->Excluded("somedir/temp"));
  CHECK(pm->Excluded("somedir/subdir/temporary.txt"));
  CHECK(pm->Excluded("tempa"));
  CHECK(pm->Excluded("tempb"));
  CHECK_FALSE(pm->Excluded("temp"));
  CHECK_FALSE(pm->Excluded("a/b/c/temp"));
  CHECK_FALSE(pm->Excluded("comment"));

  CHECK(Excluded({"**/*.go"}, "a/b/c.go"));
  CHECK(Excluded({"**/*.go"}, "c.go"));
  // "*.md / !README.md": markdown files are excluded except README.md.
  CHECK(Excluded({"*.md", "!README.md"}, "CHANGELOG.md"));
  CHECK_FALSE(Excluded({"*.md", "!README.md"}, "README.md"));
  // The placement of exceptions matters: the last matching line wins.
  const std::vector<std::string> a = {"*.md", "!README*.md", "README-secret.md"};
  CHECK(Excluded(a, "README-secret.md"));
  CHECK_FALSE(Excluded(a, "README-public.md"));
  CHECK(Excluded(a, "other.md"));
  const std::vector<std::string> b = {"*.md", "README-secret.md", "!README*.md"};
  CHECK_FALSE(Excluded(b, "README-secret.md"));
  CHECK_FALSE(Excluded(b, "README-public.md"));
}

TEST_CASE("ignorefile TestReadAll", "[cache][path_patterns]") {
  CHECK(ReadDockerignore("")->empty());
  const Result<std::vector<std::string>> got = ReadDockerignore(R"(test1
/test2
/a/file/here

lastfile
# this is a comment
! /inverted/abs/path
!
! )");
  REQUIRE(got.has_value());
  CHECK(*got == std::vector<std::string>{"test1", "test2", "a/file/here", "lastfile",
                                         "!inverted/abs/path", "!", "!"});
}

TEST_CASE("ReadDockerignore strips a BOM and CRs, keeps indented '#' lines, cleans paths",
          "[cache][path_patterns]") {
  const Result<std::vector<std::string>> got =
      ReadDockerignore("\xEF\xBB\xBF# c\r\n  # not a comment\r\n./a/../b/\r\n/\n\xC2\xA0x\xC2\xA0\n.\n");
  REQUIRE(got.has_value());
  CHECK(*got == std::vector<std::string>{"# not a comment", "b", "/", "x", "."});
  const Result<std::vector<std::string>> too_long = ReadDockerignore(std::string(70000, 'a'));
  REQUIRE_FALSE(too_long.has_value());
  CHECK(too_long.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("an excluded directory is descended only when an exception may match inside",
          "[cache][path_patterns]") {
  const PathPatterns none = *PathPatterns::Parse({"build"});
  CHECK(none.Excluded("build"));
  CHECK_FALSE(none.MayMatchInside("build"));

  const PathPatterns prefix = *PathPatterns::Parse({"build", "!build/keep/**", "!docs/x"});
  CHECK(prefix.MayMatchInside("build"));
  CHECK(prefix.MayMatchInside("build/keep"));
  CHECK_FALSE(prefix.MayMatchInside("build/other"));
  CHECK_FALSE(prefix.MayMatchInside("bui"));
  CHECK(prefix.Excluded("build/other/f"));
  CHECK_FALSE(prefix.Excluded("build/keep/f"));

  // An exception with a wildcard might match anywhere: always descend (fsutil).
  const PathPatterns wild = *PathPatterns::Parse({"build", "!*/keep"});
  CHECK(wild.MayMatchInside("build"));
  CHECK(wild.MayMatchInside("unrelated"));
}

TEST_CASE("matching is linear: a pathological pattern against a 10,000-rune path",
          "[cache][path_patterns]") {
  const PathPatterns pm = *PathPatterns::Parse({"**/**/**/*a*a*a*b"});
  std::string path;
  while (path.size() < 10000) path += "aaaaaaaaa/";
  path += std::string(200, 'a');
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(pm.Excluded(path));
  CHECK(pm.Excluded(path + "b"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed < std::chrono::seconds(2));
}

}  // namespace
}  // namespace bt::cache
