// Tests for executor/fileop/root_dir.h: resolution as containerd/continuity's fs.RootPath
// does it for BuildKit (securejoin semantics), and MkdirAll.
#include "executor/fileop/root_dir.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/executor/file_tree_fixture.h"

namespace bt::executor::test {
namespace {

using cache::FinalComponent;

std::string Resolve(const RootDir& root, const char* path, FinalComponent final = FinalComponent::kFollow) {
  auto r = root.Resolve(path, final);
  INFO(path << ": " << (r.has_value() ? std::string() : r.error().message));
  REQUIRE(r.has_value());
  return *r;
}

TEST_CASE("paths resolve in-root: `..` stops at the root, absolute links restart there",
          "[executor][root_dir]") {
  Trees t;
  MakeDir(t.dest("usr/lib"));
  MakeSymlink(t.dest("lib"), "usr/lib");
  MakeSymlink(t.dest("abs"), "/usr");
  MakeSymlink(t.dest("up"), "../../../..");
  MakeSymlink(t.dest("chain"), "abs/lib");
  MakeSymlink(t.dest("dangling"), "/nowhere/deeper");
  auto root = RootDir::Open(t.dest(), "test");
  REQUIRE(root.has_value());
  CHECK(Resolve(*root, "/") == "");
  CHECK(Resolve(*root, "") == "");
  CHECK(Resolve(*root, "../../..") == "");
  CHECK(Resolve(*root, "/lib/x") == "usr/lib/x");
  CHECK(Resolve(*root, "lib") == "usr/lib");
  CHECK(Resolve(*root, "lib", FinalComponent::kNoFollow) == "lib");
  CHECK(Resolve(*root, "abs/lib/../..") == "");
  CHECK(Resolve(*root, "up/etc") == "etc");
  CHECK(Resolve(*root, "chain/y") == "usr/lib/y");
  CHECK(Resolve(*root, "dangling") == "nowhere/deeper");  // missing components kept
  CHECK(Resolve(*root, "missing/../lib") == "usr/lib");   // back out of a missing one
  CHECK(Resolve(*root, t.outside().c_str()) == t.outside().substr(1));
}

TEST_CASE("a file in the middle of a path and a link loop are errors", "[executor][root_dir]") {
  Trees t;
  WriteFile(t.dest("file"), "f");
  MakeSymlink(t.dest("loop1"), "loop2");
  MakeSymlink(t.dest("loop2"), "loop1");
  auto root = RootDir::Open(t.dest(), "test");
  REQUIRE(root.has_value());
  auto through_file = root->Resolve("/file/x/y", FinalComponent::kFollow);
  REQUIRE_FALSE(through_file.has_value());
  CHECK(through_file.error().code == ErrorCode::kFailedPrecondition);
  CHECK(through_file.error().message == "lstat /file/x: not a directory");
  auto loop = root->Resolve("/loop1/x", FinalComponent::kFollow);
  REQUIRE_FALSE(loop.has_value());
  CHECK(loop.error().sys_errno == ELOOP);
}

TEST_CASE("MkdirAll makes what is missing with the given mode and reports it", "[executor][root_dir]") {
  Trees t;
  MakeDir(t.dest("a"), 0700);
  auto root = RootDir::Open(t.dest(), "test");
  REQUIRE(root.has_value());
  std::vector<std::string> created;
  REQUIRE(root->MkdirAll("a/b/c", NewDirs{0751, std::nullopt, timespec{1234, 0}}, &created).has_value());
  CHECK(created == std::vector<std::string>{"a/b", "a/b/c"});
  CHECK(Perm(t.dest("a")) == 0700);
  CHECK(Perm(t.dest("a/b/c")) == 0751);
  CHECK(Lstat(t.dest("a/b/c")).st_mtim.tv_sec == 1234);
  REQUIRE(root->SetTimes(created, timespec{99, 0}).has_value());
  CHECK(Lstat(t.dest("a/b")).st_mtim.tv_sec == 99);
  WriteFile(t.dest("f"), "f");
  auto blocked = root->MkdirAll("f/g", NewDirs{}, nullptr);
  REQUIRE_FALSE(blocked.has_value());
  CHECK(blocked.error().code == ErrorCode::kFailedPrecondition);
}

TEST_CASE("OpenDir refuses a symlink on a canonical path", "[executor][root_dir][adversarial]") {
  // A link swapped in after the resolution must fail the open, not lead elsewhere.
  Trees t;
  MakeSymlink(t.dest("d"), t.outside("dir"));
  auto root = RootDir::Open(t.dest(), "test");
  REQUIRE(root.has_value());
  auto opened = root->OpenDir("d");
  REQUIRE_FALSE(opened.has_value());
  CHECK(opened.error().message.rfind("open /d: ", 0) == 0);
}

}  // namespace
}  // namespace bt::executor::test
