// WriteRootfsDiff: the overlay-form diff between a starting tree and the tree a step left,
// read back with ListChanges and checked two ways: against what overlayfs' upper dir would
// hold for the same operations (copy-up of a changed entry and its parent directories, one
// whiteout per deleted name or tree), and by flattening lower + diff and comparing the
// result with the modified tree. "Changed" is containerd's sameFile (continuity
// fs/diff.go); the cases below pin its timestamp rules. The starting copy is made with
// `cp -a`, not with our own FlattenChain, so a fault there cannot hide one here.
#include "cache/snapshot/rootfs_diff.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"
#include "base/unique_fd.h"
#include "cache/snapshot/chain_flatten.h"
#include "cache/snapshot/diff_changes.h"

namespace bt::cache {
namespace {

#define BT_REQUIRE_ROOT()                                                                  \
  do {                                                                                     \
    if (::geteuid() != 0) {                                                                \
      WARN("SKIPPED: needs root (whiteouts, chown); running as uid " << ::geteuid());      \
      return;                                                                              \
    }                                                                                      \
  } while (0)

void WriteFile(const std::string& path, const std::string& data, mode_t mode = 0644) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void MakeDir(const std::string& path, mode_t mode = 0755) {
  REQUIRE(::mkdir(path.c_str(), mode) == 0);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

void Run(const std::string& command) { REQUIRE(std::system(command.c_str()) == 0); }

struct stat Lstat(const std::string& path) {
  struct stat st = {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

std::string ReadLink(const std::string& path) {
  char buf[256];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf));
  REQUIRE(n >= 0);
  return std::string(buf, static_cast<size_t>(n));
}

void SetMtime(const std::string& path, struct timespec mtime) {
  const struct timespec times[2] = {mtime, mtime};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

// The diff as "<kind> <path>" lines in tar order: W written, D deleted (whiteout), O opaque.
std::vector<std::string> Changes(const std::string& diff) {
  Result<std::vector<Change>> changes = ListChanges(diff);
  REQUIRE(changes.has_value());
  std::vector<std::string> out;
  for (const Change& c : *changes) {
    const char* kind = c.kind == ChangeKind::kDelete ? "D" : c.kind == ChangeKind::kOpaqueDir ? "O" : "W";
    out.push_back(std::string(kind) + " " + c.path);
  }
  return out;
}

// What a process sees of a tree: per entry below the root, type and permission bits, owner,
// size, mtime, content or link target, and xattrs (atime is left out: comparing reads).
std::vector<std::string> Signature(const std::string& root, const std::string& rel = "") {
  std::vector<std::string> out;
  const std::string dir = rel.empty() ? root : root + "/" + rel;
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd.valid());
  Result<std::vector<std::string>> names = ListDirNames(fd.get(), dir);
  REQUIRE(names.has_value());
  for (const std::string& name : *names) {
    const std::string child = rel.empty() ? name : rel + "/" + name;
    const std::string path = root + "/" + child;
    const struct stat st = Lstat(path);
    std::ostringstream line;
    line << child << " mode=" << std::oct << st.st_mode << std::dec << " owner=" << st.st_uid
         << ":" << st.st_gid << " mtime=" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
    if (S_ISREG(st.st_mode)) line << " content=" << ReadFile(path);
    if (S_ISLNK(st.st_mode)) line << " target=" << ReadLink(path);
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) line << " rdev=" << st.st_rdev;
    if (!S_ISLNK(st.st_mode)) {
      char names_buf[1024];
      const ssize_t n = ::llistxattr(path.c_str(), names_buf, sizeof(names_buf));
      for (ssize_t i = 0; i < n;) {
        const std::string x(names_buf + i);
        i += static_cast<ssize_t>(x.size()) + 1;
        char value[256];
        const ssize_t v = ::lgetxattr(path.c_str(), x.c_str(), value, sizeof(value));
        line << " " << x << "=" << std::string(value, static_cast<size_t>(v < 0 ? 0 : v));
      }
    }
    out.push_back(line.str());
    if (S_ISDIR(st.st_mode)) {
      for (std::string& sub : Signature(root, child)) out.push_back(std::move(sub));
    }
  }
  return out;
}

struct Fixture {
  TempDir tmp = *TempDir::Create("", "bt-rootfs-diff-test-");
  std::string lower = tmp.path() + "/lower";
  std::string upper = tmp.path() + "/upper";
  std::string diff = tmp.path() + "/diff";
  Fixture() {
    MakeDir(lower);
    MakeDir(diff);
  }
  // The step's starting point: an exact copy of lower (times to the nanosecond).
  void CopyLowerToUpper() { Run("cp -a '" + lower + "' '" + upper + "'"); }
  Result<RootfsDiffStats> Write() { return WriteRootfsDiff({lower, upper, diff}); }
  // lower + diff, flattened: must be what a process left in upper.
  std::vector<std::string> Merged() {
    const std::string merged = tmp.path() + "/merged";
    MakeDir(merged);
    REQUIRE(FlattenChain({diff, lower}, merged).has_value());
    return Signature(merged);
  }
};

TEST_CASE("a changed rootfs becomes the diff overlayfs' upper dir would hold",
          "[cache][rootfs_diff][root]") {
  BT_REQUIRE_ROOT();
  Fixture f;
  const std::string& lo = f.lower;
  MakeDir(lo + "/bin");
  WriteFile(lo + "/bin/sh", "sh", 0755);
  MakeDir(lo + "/etc");
  WriteFile(lo + "/etc/conf", "old");
  WriteFile(lo + "/etc/keep", "same");
  WriteFile(lo + "/etc/mode", "m", 0644);
  REQUIRE(::symlink("target1", (lo + "/etc/link").c_str()) == 0);
  WriteFile(lo + "/gone", "g");
  MakeDir(lo + "/olddir");
  WriteFile(lo + "/olddir/a", "a");
  MakeDir(lo + "/olddir/sub");
  WriteFile(lo + "/olddir/sub/b", "b");
  MakeDir(lo + "/wasdir");
  WriteFile(lo + "/wasdir/x", "x");
  WriteFile(lo + "/wasfile", "f");
  f.CopyLowerToUpper();

  const std::string& up = f.upper;
  WriteFile(up + "/added", "new");                       // new file
  WriteFile(up + "/etc/conf", "new content");            // modified file
  REQUIRE(::unlink((up + "/gone").c_str()) == 0);        // deleted file
  Run("rm -rf '" + up + "/olddir'");                     // deleted tree
  Run("rm -rf '" + up + "/wasdir'");                     // directory replaced by a file
  WriteFile(up + "/wasdir", "now a file");
  REQUIRE(::unlink((up + "/wasfile").c_str()) == 0);     // file replaced by a directory
  MakeDir(up + "/wasfile");
  WriteFile(up + "/wasfile/inner", "i");
  REQUIRE(::chmod((up + "/etc/mode").c_str(), 0600) == 0);  // chmod only
  REQUIRE(::unlink((up + "/etc/link").c_str()) == 0);       // symlink retarget
  REQUIRE(::symlink("target-two", (up + "/etc/link").c_str()) == 0);

  Result<RootfsDiffStats> stats = f.Write();
  REQUIRE(stats.has_value());
  // overlayfs copies up each changed entry with its parent directory (etc), records one
  // whiteout per removed name (olddir's content is implied), and lets a new non-directory
  // (wasdir) hide a lower tree. Where it replaced a whiteout with a directory (wasfile) it
  // would mark it opaque; a plain directory reads the same, since overlayfs never merges a
  // directory with a lower non-directory. bin/ and etc/keep did not change.
  CHECK(Changes(f.diff) == std::vector<std::string>{
                               "W added", "W etc", "W etc/conf", "W etc/link", "W etc/mode",
                               "D gone", "D olddir", "W wasdir", "W wasfile", "W wasfile/inner"});
  CHECK(stats->whiteouts == 2);
  CHECK(stats->directories == 2);
  CHECK(ReadFile(f.diff + "/etc/mode") == "m");
  CHECK((Lstat(f.diff + "/etc/mode").st_mode & 07777) == 0600);
  CHECK(ReadLink(f.diff + "/etc/link") == "target-two");
  CHECK(S_ISREG(Lstat(f.diff + "/wasdir").st_mode));
  const struct stat whiteout = Lstat(f.diff + "/olddir");
  CHECK(S_ISCHR(whiteout.st_mode));
  CHECK(whiteout.st_rdev == makedev(0, 0));
  // A directory in the diff carries the upper's metadata, set after its content.
  CHECK(Lstat(f.diff + "/etc").st_mtim.tv_nsec == Lstat(up + "/etc").st_mtim.tv_nsec);
  CHECK(f.Merged() == Signature(up));
}

TEST_CASE("what counts as changed follows containerd's sameFile", "[cache][rootfs_diff]") {
  Fixture f;
  const struct timespec truncated{1700000000, 0};
  const struct timespec precise{1700000000, 123456789};
  WriteFile(f.lower + "/file", "aaaa");
  SECTION("equal truncated mtimes: the content decides") {
    SetMtime(f.lower + "/file", truncated);
    f.CopyLowerToUpper();
    SECTION("same content") {
      WriteFile(f.upper + "/file", "aaaa");
      SetMtime(f.upper + "/file", truncated);
      REQUIRE(f.Write().has_value());
      CHECK(Changes(f.diff).empty());
    }
    SECTION("other content of the same size") {
      WriteFile(f.upper + "/file", "bbbb");
      SetMtime(f.upper + "/file", truncated);
      REQUIRE(f.Write().has_value());
      CHECK(Changes(f.diff) == std::vector<std::string>{"W file"});
      CHECK(ReadFile(f.diff + "/file") == "bbbb");
    }
  }
  SECTION("equal mtimes with nanoseconds are trusted, as containerd does") {
    SetMtime(f.lower + "/file", precise);
    f.CopyLowerToUpper();
    WriteFile(f.upper + "/file", "bbbb");
    SetMtime(f.upper + "/file", precise);
    REQUIRE(f.Write().has_value());
    CHECK(Changes(f.diff).empty());
  }
  SECTION("other nanoseconds are a change even with the same content") {
    SetMtime(f.lower + "/file", precise);
    f.CopyLowerToUpper();
    SetMtime(f.upper + "/file", {precise.tv_sec, precise.tv_nsec + 1});
    REQUIRE(f.Write().has_value());
    CHECK(Changes(f.diff) == std::vector<std::string>{"W file"});
  }
  SECTION("an xattr is a change") {
    f.CopyLowerToUpper();
    const struct stat before = Lstat(f.upper + "/file");
    REQUIRE(::setxattr((f.upper + "/file").c_str(), "user.note", "x", 1, 0) == 0);
    REQUIRE(Lstat(f.upper + "/file").st_mtim.tv_nsec == before.st_mtim.tv_nsec);
    REQUIRE(f.Write().has_value());
    CHECK(Changes(f.diff) == std::vector<std::string>{"W file"});
  }
  SECTION("a symlink retargeted to a name of the same length, same mtime") {
    REQUIRE(::symlink("target1", (f.lower + "/link").c_str()) == 0);
    SetMtime(f.lower + "/link", precise);
    f.CopyLowerToUpper();
    REQUIRE(::unlink((f.upper + "/link").c_str()) == 0);
    REQUIRE(::symlink("target2", (f.upper + "/link").c_str()) == 0);
    SetMtime(f.upper + "/link", precise);
    REQUIRE(f.Write().has_value());
    CHECK(Changes(f.diff) == std::vector<std::string>{"W link"});
    CHECK(ReadLink(f.diff + "/link") == "target2");
  }
  SECTION("a directory's own mode is a change; its unchanged entries are not") {
    MakeDir(f.lower + "/dir");
    WriteFile(f.lower + "/dir/inside", "i");
    f.CopyLowerToUpper();
    REQUIRE(::chmod((f.upper + "/dir").c_str(), 0700) == 0);
    REQUIRE(f.Write().has_value());
    CHECK(Changes(f.diff) == std::vector<std::string>{"W dir"});
    CHECK((Lstat(f.diff + "/dir").st_mode & 07777) == 0700);
    CHECK(f.Merged() == Signature(f.upper));
  }
}

TEST_CASE("an owner change is a change", "[cache][rootfs_diff][root]") {
  BT_REQUIRE_ROOT();
  Fixture f;
  WriteFile(f.lower + "/file", "x");
  f.CopyLowerToUpper();
  REQUIRE(::chown((f.upper + "/file").c_str(), 1000, 1000) == 0);
  REQUIRE(f.Write().has_value());
  CHECK(Changes(f.diff) == std::vector<std::string>{"W file"});
  CHECK(Lstat(f.diff + "/file").st_uid == 1000);
}

TEST_CASE("names hard-linked in the upper are hard-linked in the diff", "[cache][rootfs_diff]") {
  Fixture f;
  WriteFile(f.lower + "/shared", "s");
  WriteFile(f.lower + "/a", "old");
  REQUIRE(::link((f.lower + "/a").c_str(), (f.lower + "/b").c_str()) == 0);
  f.CopyLowerToUpper();
  REQUIRE(Lstat(f.upper + "/a").st_ino == Lstat(f.upper + "/b").st_ino);
  MakeDir(f.upper + "/new");
  WriteFile(f.upper + "/new/h1", "h");
  REQUIRE(::link((f.upper + "/new/h1").c_str(), (f.upper + "/h2").c_str()) == 0);
  // A link to an unchanged file: overlayfs copies `shared` up to link it, so both names are
  // in the upper dir, one inode.
  REQUIRE(::link((f.upper + "/shared").c_str(), (f.upper + "/shared2").c_str()) == 0);
  // Writing through one name changes both.
  WriteFile(f.upper + "/a", "new");

  Result<RootfsDiffStats> stats = f.Write();
  REQUIRE(stats.has_value());
  CHECK(Changes(f.diff) == std::vector<std::string>{"W a", "W b", "W h2", "W new", "W new/h1",
                                                    "W shared", "W shared2"});
  CHECK(Lstat(f.diff + "/a").st_ino == Lstat(f.diff + "/b").st_ino);
  CHECK(Lstat(f.diff + "/h2").st_ino == Lstat(f.diff + "/new/h1").st_ino);
  CHECK(Lstat(f.diff + "/shared").st_ino == Lstat(f.diff + "/shared2").st_ino);
  CHECK(Lstat(f.diff + "/shared").st_nlink == 2);
  CHECK(ReadFile(f.diff + "/b") == "new");
  CHECK(stats->copied == 3);
  CHECK(stats->hardlinks == 3);
}

TEST_CASE("on scratch every entry is added, and symlinks are copied, not followed",
          "[cache][rootfs_diff]") {
  TempDir tmp = *TempDir::Create("", "bt-rootfs-diff-test-");
  const std::string upper = tmp.path() + "/upper", diff = tmp.path() + "/diff";
  MakeDir(upper);
  MakeDir(diff);
  MakeDir(upper + "/etc");
  WriteFile(upper + "/etc/os-release", "ID=test");
  REQUIRE(::symlink("/", (upper + "/escape").c_str()) == 0);
  REQUIRE(::symlink("/etc/passwd", (upper + "/passwd").c_str()) == 0);
  REQUIRE(WriteRootfsDiff({std::nullopt, upper, diff}).has_value());
  CHECK(Changes(diff) ==
        std::vector<std::string>{"W escape", "W etc", "W etc/os-release", "W passwd"});
  CHECK(ReadLink(diff + "/escape") == "/");
  CHECK(ReadLink(diff + "/passwd") == "/etc/passwd");
}

TEST_CASE("a directory replaced by a symlink out of the root is one entry, nothing followed",
          "[cache][rootfs_diff]") {
  Fixture f;
  const std::string canary = f.tmp.path() + "/canary";
  MakeDir(canary);
  WriteFile(canary + "/passwd", "host");
  MakeDir(f.lower + "/etc");
  WriteFile(f.lower + "/etc/passwd", "image");
  f.CopyLowerToUpper();
  Run("rm -rf '" + f.upper + "/etc'");
  REQUIRE(::symlink(canary.c_str(), (f.upper + "/etc").c_str()) == 0);
  REQUIRE(f.Write().has_value());
  CHECK(Changes(f.diff) == std::vector<std::string>{"W etc"});
  CHECK(ReadLink(f.diff + "/etc") == canary);
  CHECK(ReadFile(canary + "/passwd") == "host");
  CHECK(Signature(canary).size() == 1);
}

TEST_CASE("the diff directory must start empty", "[cache][rootfs_diff]") {
  Fixture f;
  f.CopyLowerToUpper();
  WriteFile(f.diff + "/stale", "x");
  Result<RootfsDiffStats> stats = f.Write();
  REQUIRE_FALSE(stats.has_value());
  CHECK(stats.error().code == ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace bt::cache
