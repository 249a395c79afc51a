// Tests for executor/fileop/go_match.h. The Match table is Go's own path/filepath
// match_test.go (the reference for filepath.Match on Linux; ErrBadPattern reads as "no
// match" here, as fsutil ignores it); the split cases follow fsutil copy.go splitWildcards.
#include "executor/fileop/go_match.h"

#include <catch2/catch.hpp>
#include <string>

namespace bt::executor {
namespace {

struct MatchCase {
  const char* pattern;
  const char* name;
  bool match;
};

TEST_CASE("filepath.Match semantics: stars stay in one component, classes, escapes, UTF-8",
          "[executor][go_match]") {
  const MatchCase cases[] = {
      {"abc", "abc", true},
      {"*", "abc", true},
      {"*c", "abc", true},
      {"a*", "a", true},
      {"a*", "abc", true},
      {"a*", "ab/c", false},
      {"a*/b", "abc/b", true},
      {"a*/b", "a/c/b", false},
      {"a*b*c*d*e*/f", "axbxcxdxe/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", false},
      {"a*b?c*x", "abxbbxdbxebxczzx", true},
      {"a*b?c*x", "abxbbxdbxebxczzy", false},
      {"ab[c]", "abc", true},
      {"ab[b-d]", "abc", true},
      {"ab[e-g]", "abc", false},
      {"ab[^c]", "abc", false},
      {"ab[^b-d]", "abc", false},
      {"ab[^e-g]", "abc", true},
      {"a\\*b", "a*b", true},
      {"a\\*b", "ab", false},
      {"a?b", "a\xE2\x98\xBA" "b", true},
      {"a[^a]b", "a\xE2\x98\xBA" "b", true},
      {"a???b", "a\xE2\x98\xBA" "b", false},
      {"a[^a][^a][^a]b", "a\xE2\x98\xBA" "b", false},
      {"[a-\xCE\xB6]*", "\xCE\xB1", true},
      {"*[a-\xCE\xB6]", "A", false},
      {"a?b", "a/b", false},
      {"a*b", "a/b", false},
      {"[\\]a]", "]", true},
      {"[\\-]", "-", true},
      {"[x\\-]", "x", true},
      {"[x\\-]", "-", true},
      {"[x\\-]", "z", false},
      {"[\\-x]", "x", true},
      {"[\\-x]", "-", true},
      {"[\\-x]", "a", false},
      {"*x", "xxx", true},
      // Malformed patterns (ErrBadPattern in Go) match nothing.
      {"[]a]", "]", false},
      {"[-]", "-", false},
      {"[x-]", "x", false},
      {"[-x]", "x", false},
      {"\\", "a", false},
      {"[a-b-c]", "a", false},
      {"[", "a", false},
      {"[^bc", "a", false},
      {"a[", "a", false},
      {"a/b[", "x", false},
  };
  for (const MatchCase& c : cases) {
    INFO("pattern " << c.pattern << " name " << c.name);
    CHECK(GoPathMatch(c.pattern, c.name) == c.match);
  }
}

TEST_CASE("a negated class can match '/', unlike '*' and '?'", "[executor][go_match]") {
  // Go's matchChunk does not exclude the separator from classes; wildcard walks must not
  // assume a match never spans components.
  CHECK(GoPathMatch("a[^x]b", "a/b"));
  CHECK_FALSE(GoPathMatch("a?b", "a/b"));
}

TEST_CASE("containsWildcards sees a star, a question mark or an opening bracket unless escaped", "[executor][go_match]") {
  CHECK(ContainsWildcards("*.txt"));
  CHECK(ContainsWildcards("file?.md"));
  CHECK(ContainsWildcards("[ab].dat"));
  CHECK_FALSE(ContainsWildcards("plain/path"));
  CHECK_FALSE(ContainsWildcards("a\\*b"));
  CHECK_FALSE(ContainsWildcards("x]y"));
}

TEST_CASE("splitWildcards separates the plain directory from the matched rest", "[executor][go_match]") {
  using P = std::pair<std::string, std::string>;
  CHECK(SplitWildcards("/a/b*/c") == P{"/a", "b*/c"});
  CHECK(SplitWildcards("/*.txt") == P{"/", "*.txt"});
  CHECK(SplitWildcards("/sub/dir1") == P{"/sub/dir1", ""});
  CHECK(SplitWildcards("/sub/dir1/.") == P{"/sub/dir1", ""});  // cleaned, as filepath.Join
  CHECK(SplitWildcards("/nested/*/x.cfg") == P{"/nested", "*/x.cfg"});
  CHECK(SplitWildcards("/") == P{"/", ""});
  CHECK(SplitWildcards("/a\\*b/c") == P{"/a\\*b/c", ""});
}

}  // namespace
}  // namespace bt::executor
