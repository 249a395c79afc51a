// TempDir and RemoveTree: unique creation, removal of whole trees, Keep(), and symlinks that
// are unlinked but never followed.
#include "base/temp_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <utility>

#include "base/unique_fd.h"

namespace bt {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

void MakeFile(const std::string& path, const std::string& data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  REQUIRE(fd.valid());
  REQUIRE(::write(fd.get(), data.data(), data.size()) == static_cast<ssize_t>(data.size()));
}

TEST_CASE("a temp dir is created unique under its parent and removed with its contents",
          "[base][temp_dir]") {
  std::string path;
  {
    Result<TempDir> a = TempDir::Create("", "bt-test-");
    REQUIRE(a.has_value());
    Result<TempDir> b = TempDir::Create("", "bt-test-");
    REQUIRE(b.has_value());
    CHECK(a->path() != b->path());
    path = a->path();
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 07777) == 0700);
    REQUIRE(::mkdir((path + "/sub").c_str(), 0755) == 0);
    MakeFile(path + "/sub/file", "x");
    MakeFile(path + "/top", "y");
  }
  CHECK_FALSE(Exists(path));
}

TEST_CASE("a temp dir is created under the given parent with the given prefix",
          "[base][temp_dir]") {
  Result<TempDir> parent = TempDir::Create("", "bt-parent-");
  REQUIRE(parent.has_value());
  Result<TempDir> child = TempDir::Create(parent->path(), "child-");
  REQUIRE(child.has_value());
  CHECK(child->path().rfind(parent->path() + "/child-", 0) == 0);

  SECTION("a prefix with a slash is refused") {
    Result<TempDir> bad = TempDir::Create(parent->path(), "a/b");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().code == ErrorCode::kInvalidArgument);
  }
  SECTION("a missing parent is an io error") {
    Result<TempDir> bad = TempDir::Create(parent->path() + "/missing", "x-");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().code == ErrorCode::kIo);
    CHECK(bad.error().sys_errno == ENOENT);
  }
}

TEST_CASE("a kept temp dir survives its object and a moved one is removed once",
          "[base][temp_dir]") {
  std::string kept_path;
  {
    Result<TempDir> dir = TempDir::Create("", "bt-keep-");
    REQUIRE(dir.has_value());
    kept_path = dir->path();
    dir->Keep();
  }
  CHECK(Exists(kept_path));
  REQUIRE(RemoveTree(kept_path).has_value());
  CHECK_FALSE(Exists(kept_path));

  std::string moved_path;
  {
    Result<TempDir> dir = TempDir::Create("", "bt-move-");
    REQUIRE(dir.has_value());
    TempDir owner = std::move(*dir);
    moved_path = owner.path();
    CHECK(dir->path().empty());
    CHECK(Exists(moved_path));
  }
  CHECK_FALSE(Exists(moved_path));
}

TEST_CASE("removing a tree unlinks symlinks without following them", "[base][temp_dir]") {
  Result<TempDir> outside = TempDir::Create("", "bt-outside-");
  REQUIRE(outside.has_value());
  MakeFile(outside->path() + "/precious", "keep me");
  REQUIRE(::mkdir((outside->path() + "/dir").c_str(), 0755) == 0);
  MakeFile(outside->path() + "/dir/also-precious", "keep me too");

  Result<TempDir> tree = TempDir::Create("", "bt-tree-");
  REQUIRE(tree.has_value());
  const std::string root = tree->path();
  REQUIRE(::symlink(outside->path().c_str(), (root + "/to-dir").c_str()) == 0);
  REQUIRE(::symlink((outside->path() + "/precious").c_str(), (root + "/to-file").c_str()) == 0);
  REQUIRE(::symlink("/nonexistent/dangling", (root + "/dangling").c_str()) == 0);
  REQUIRE(::mkdir((root + "/a").c_str(), 0755) == 0);
  REQUIRE(::symlink("../../", (root + "/a/up").c_str()) == 0);

  REQUIRE(tree->Remove().has_value());
  CHECK_FALSE(Exists(root));
  CHECK(Exists(outside->path() + "/precious"));
  CHECK(Exists(outside->path() + "/dir/also-precious"));

  SECTION("a symlink given as the tree itself is unlinked, not entered") {
    const std::string link = outside->path() + "/link";
    REQUIRE(::symlink((outside->path() + "/dir").c_str(), link.c_str()) == 0);
    REQUIRE(RemoveTree(link).has_value());
    CHECK_FALSE(Exists(link));
    CHECK(Exists(outside->path() + "/dir/also-precious"));
  }
}

TEST_CASE("removing a tree handles read-only directories and deep nesting", "[base][temp_dir]") {
  Result<TempDir> tree = TempDir::Create("", "bt-deep-");
  REQUIRE(tree.has_value());
  // Deeper than PATH_MAX when spelled out, so a path-based removal would fail.
  std::string rel;
  UniqueFd cur(::open(tree->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  for (int i = 0; i < 600; ++i) {
    const std::string name = "nested-directory-" + std::to_string(i);
    REQUIRE(::mkdirat(cur.get(), name.c_str(), 0755) == 0);
    cur.Reset(::openat(cur.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(cur.valid());
  }
  REQUIRE(::mkdirat(cur.get(), "ro", 0755) == 0);
  {
    UniqueFd f(::openat(cur.get(), "ro/file", O_WRONLY | O_CREAT | O_CLOEXEC, 0444));
    REQUIRE(f.valid());
  }
  REQUIRE(::fchmodat(cur.get(), "ro", 0555, 0) == 0);
  cur.Reset();
  const std::string path = tree->path();
  REQUIRE(tree->Remove().has_value());
  CHECK_FALSE(Exists(path));
}

TEST_CASE("removing a missing path succeeds", "[base][temp_dir]") {
  CHECK(RemoveTree("/tmp/bt-definitely-missing-path-for-remove-tree").has_value());
}

}  // namespace
}  // namespace bt
