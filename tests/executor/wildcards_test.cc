// Tests for executor/fileop/wildcards.h, after fsutil copy.go ResolveWildcards: a walk in
// lexical order that does not follow symlinks and does not descend into a matching directory.
#include "executor/fileop/wildcards.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/executor/file_tree_fixture.h"

namespace bt::executor::test {
namespace {

using cache::FinalComponent;
using V = std::vector<std::string>;

V Matches(const RootDir& root, const char* pattern, FinalComponent final = FinalComponent::kFollow) {
  auto r = ResolveWildcards(root, pattern, final);
  INFO(pattern << ": " << (r.has_value() ? std::string() : r.error().message));
  REQUIRE(r.has_value());
  return *r;
}

TEST_CASE("wildcards match relative to the plain directory before them, in walk order",
          "[executor][wildcards]") {
  Trees t;
  WriteFile(t.ctx("b.txt"), "");
  WriteFile(t.ctx("a.txt"), "");
  WriteFile(t.ctx("sub/c.txt"), "");
  WriteFile(t.ctx("sub/dir1/dir2/foo"), "");
  WriteFile(t.ctx("nested/q/x.cfg"), "");
  WriteFile(t.ctx("nested/p/x.cfg"), "");
  MakeDir(t.ctx("match.txt"));
  WriteFile(t.ctx("match.txt/inner.txt"), "");
  auto root = RootDir::Open(t.ctx(), "test");
  REQUIRE(root.has_value());
  CHECK(Matches(*root, "/*.txt") == V{"a.txt", "b.txt", "match.txt"});  // not match.txt/inner.txt
  CHECK(Matches(*root, "/nested/*/x.cfg") == V{"nested/p/x.cfg", "nested/q/x.cfg"});
  CHECK(Matches(*root, "/sub/*/dir2/foo") == V{"sub/dir1/dir2/foo"});
  CHECK(Matches(*root, "/sub/*") == V{"sub/c.txt", "sub/dir1"});
  CHECK(Matches(*root, "/plain/path") == V{"/plain/path"});  // no wildcard: as given
  CHECK(Matches(*root, "/none*").empty());
  CHECK(Matches(*root, "/a[^x]b").empty());
}

TEST_CASE("symlinks are matched but never walked into, and the base is followed when asked",
          "[executor][wildcards]") {
  Trees t;
  WriteFile(t.ctx("real/f.txt"), "");
  MakeSymlink(t.ctx("link"), "real");
  MakeSymlink(t.ctx("out"), t.outside());
  auto root = RootDir::Open(t.ctx(), "test");
  REQUIRE(root.has_value());
  CHECK(Matches(*root, "/*/f.txt") == V{"real/f.txt"});
  CHECK(Matches(*root, "/l*") == V{"link"});
  CHECK(Matches(*root, "/link/*", FinalComponent::kFollow) == V{"real/f.txt"});
  CHECK(Matches(*root, "/link/*", FinalComponent::kNoFollow).empty());
  // A link to a host directory names ctx/<host path>, which does not exist: the host
  // directory is never listed.
  auto escaped = ResolveWildcards(*root, "/out/*", FinalComponent::kFollow);
  REQUIRE_FALSE(escaped.has_value());
  CHECK(escaped.error().code == ErrorCode::kNotFound);
}

TEST_CASE("a missing directory before the wildcard is filepath.Walk's lstat error", "[executor][wildcards]") {
  Trees t;
  auto root = RootDir::Open(t.ctx(), "test");
  REQUIRE(root.has_value());
  auto r = ResolveWildcards(*root, "/nodir/*.txt", FinalComponent::kFollow);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kNotFound);
  CHECK(r.error().message == "lstat /nodir: no such file or directory");
}

}  // namespace
}  // namespace bt::executor::test
