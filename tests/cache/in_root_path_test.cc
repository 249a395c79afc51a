// Tests for cache/snapshot/in_root_path.h: openat2 and the component walk agree, neither
// leaves the root, and LayerView resolves through the layers of an overlay stack.
#include "cache/snapshot/in_root_path.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/temp_dir.h"

namespace bt::cache {
namespace {

namespace fs = std::filesystem;

UniqueFd OpenDir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd.valid());
  return fd;
}

ino_t Inode(int fd) {
  struct stat st;
  REQUIRE(::fstat(fd, &st) == 0);
  return st.st_ino;
}

ino_t Inode(const std::string& path) {
  struct stat st;
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_ino;
}

// <tmp>/outside/f (a file no resolution may reach) and <tmp>/root/ with hostile links.
struct HostileRoot {
  HostileRoot() : tmp(*TempDir::Create("", "in_root_path_test.")) {
    fs::create_directories(tmp.path() + "/outside");
    std::ofstream(tmp.path() + "/outside/f") << "outside";
    fs::create_directories(root() + "/etc");
    fs::create_directories(root() + "/outside");
    std::ofstream(root() + "/f") << "in";
    std::ofstream(root() + "/etc/passwd") << "root:x:0:0";
    std::ofstream(root() + "/outside/f") << "inner";
    fs::create_directory_symlink("/", root() + "/a");
    fs::create_directory_symlink("../../..", root() + "/b");
    fs::create_symlink("/etc/passwd", root() + "/c");
    fs::create_directory_symlink("b/outside", root() + "/d");
    fs::create_symlink("loop", root() + "/loop");
  }
  std::string root() const { return tmp.path() + "/root"; }
  TempDir tmp;
};

TEST_CASE("openat2 and the component walk resolve hostile paths in-root alike",
          "[cache][in_root_path][adversarial]") {
  HostileRoot h;
  UniqueFd root = OpenDir(h.root());
  const std::pair<const char*, std::string> cases[] = {
      {"a/f", "/f"},
      {"b/f", "/f"},
      {"../../f", "/f"},
      {"/f", "/f"},
      {"c", "/etc/passwd"},
      {"a/etc/../etc/passwd", "/etc/passwd"},
      {"d/f", "/outside/f"},
      {"../outside/f", "/outside/f"},
      {"b", ""},
      {"", ""},
  };
  for (ResolveMethod method : {ResolveMethod::kAuto, ResolveMethod::kComponentWalk}) {
    for (const auto& [path, expected] : cases) {
      INFO(path << (method == ResolveMethod::kAuto ? " (openat2)" : " (walk)"));
      InRootOpenOptions o;
      o.flags = O_RDONLY;
      o.method = method;
      auto fd = OpenInRoot(root.get(), path, o);
      REQUIRE(fd.has_value());
      CHECK(Inode(fd->get()) == Inode(h.root() + expected));
    }
  }
}

TEST_CASE("OpenInRoot refuses symlinks when asked and stops loops", "[cache][in_root_path]") {
  HostileRoot h;
  UniqueFd root = OpenDir(h.root());
  for (ResolveMethod method : {ResolveMethod::kAuto, ResolveMethod::kComponentWalk}) {
    InRootOpenOptions o;
    o.method = method;
    o.symlinks = SymlinkPolicy::kRefuse;
    auto refused = OpenInRoot(root.get(), "a/f", o);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().sys_errno == ELOOP);

    InRootOpenOptions loop;
    loop.method = method;
    auto looped = OpenInRoot(root.get(), "loop", loop);
    REQUIRE_FALSE(looped.has_value());
    CHECK(looped.error().sys_errno == ELOOP);

    InRootOpenOptions nofollow;
    nofollow.method = method;
    nofollow.flags = O_PATH;
    nofollow.final_component = FinalComponent::kNoFollow;
    auto link = OpenInRoot(root.get(), "c", nofollow);
    REQUIRE(link.has_value());
    CHECK(Inode(link->get()) == Inode(h.root() + "/c"));

    InRootOpenOptions create;
    create.method = method;
    create.flags = O_WRONLY | O_CREAT | O_EXCL;
    create.mode = 0600;
    auto created = OpenInRoot(root.get(), std::string("b/new-") + (method == ResolveMethod::kAuto ? "a" : "w"), create);
    REQUIRE(created.has_value());
  }
  CHECK(fs::exists(h.root() + "/new-a"));
  CHECK(fs::exists(h.root() + "/new-w"));
  CHECK_FALSE(fs::exists(h.tmp.path() + "/new-a"));
}

TEST_CASE("SplitPath drops empty and dot components and keeps dot-dot", "[cache][in_root_path]") {
  auto parts = SplitPath("./a//b/./../c/");
  REQUIRE(parts.size() == 4);
  CHECK(parts[0] == "a");
  CHECK(parts[1] == "b");
  CHECK(parts[2] == "..");
  CHECK(parts[3] == "c");
  CHECK(SplitPath("/").empty());
}

TEST_CASE("LayerView resolves symlinks of lower layers in the merged view",
          "[cache][in_root_path]") {
  TempDir tmp = *TempDir::Create("", "in_root_path_test.");
  const std::string upper = tmp.path() + "/upper";
  const std::string lower = tmp.path() + "/lower";
  fs::create_directories(upper + "/usr");
  fs::create_directories(lower + "/usr/lib");
  fs::create_directories(lower + "/var");
  fs::create_directory_symlink("usr/lib", lower + "/lib");
  fs::create_directory_symlink("/run", lower + "/var/run");
  fs::create_directory_symlink("../../../..", lower + "/up");
  std::ofstream(lower + "/usr/lib/libc.so") << "libc";
  UniqueFd u = OpenDir(upper);
  UniqueFd l = OpenDir(lower);
  LayerView view({u.get(), l.get()});

  CHECK(*view.Resolve("lib/x.so", FinalComponent::kFollow) == "usr/lib/x.so");
  CHECK(*view.Resolve("lib", FinalComponent::kNoFollow) == "lib");
  CHECK(*view.Resolve("lib", FinalComponent::kFollow) == "usr/lib");
  CHECK(*view.Resolve("var/run/x.pid", FinalComponent::kFollow) == "run/x.pid");
  CHECK(*view.Resolve("up/up/etc", FinalComponent::kFollow) == "etc");
  CHECK(*view.Resolve("missing/../lib/a", FinalComponent::kFollow) == "usr/lib/a");

  auto entry = view.Lookup("usr/lib/libc.so");
  REQUIRE(entry.has_value());
  REQUIRE(entry->has_value());
  CHECK((*entry)->layer == 1);
  auto usr = view.Lookup("usr");
  REQUIRE(usr->has_value());
  CHECK((*usr)->layer == 0);
  CHECK_FALSE(view.Lookup("usr/none")->has_value());

  SECTION("an upper whiteout or opaque directory hides the lower entries") {
    if (::mknodat(u.get(), "lib", S_IFCHR, makedev(0, 0)) != 0) {
      WARN("SKIPPED: cannot create a whiteout here: " << std::strerror(errno));
      return;
    }
    CHECK_FALSE(view.Lookup("lib")->has_value());
    CHECK(*view.Resolve("lib/x.so", FinalComponent::kFollow) == "lib/x.so");
    if (::setxattr((upper + "/usr").c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
      WARN("SKIPPED: needs root for trusted.overlay.opaque: " << std::strerror(errno));
      return;
    }
    CHECK_FALSE(view.Lookup("usr/lib/libc.so")->has_value());
  }
}

}  // namespace
}  // namespace bt::cache
