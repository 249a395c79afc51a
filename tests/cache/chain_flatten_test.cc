// FlattenChain: overlay-form diffs applied bottom-up into a plain tree, as overlayfs would
// show them merged (whiteouts delete, opaque directories hide the layers below, a later
// entry replaces an earlier one), with metadata and hard links kept and nothing followed out
// of the destination. Whiteouts, owners and trusted.* xattrs need root: those cases are
// tagged [root] and skip loudly.
#include "cache/snapshot/chain_flatten.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"
#include "base/unique_fd.h"

namespace bt::cache {
namespace {

#define BT_REQUIRE_ROOT()                                                                  \
  do {                                                                                     \
    if (::geteuid() != 0) {                                                                \
      WARN("SKIPPED: needs root (whiteouts, chown, trusted.* xattrs); running as uid "    \
           << ::geteuid());                                                                \
      return;                                                                              \
    }                                                                                      \
  } while (0)

void WriteFile(const std::string& path, const std::string& data, mode_t mode = 0644) {
  std::ofstream(path, std::ios::binary) << data;
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
  REQUIRE(::chmod(path.c_str(), mode) == 0);  // past the umask
}

void Whiteout(const std::string& path) {
  REQUIRE(::mknod(path.c_str(), S_IFCHR | 0000, makedev(0, 0)) == 0);
}

void MakeOpaque(const std::string& path) {
  REQUIRE(::lsetxattr(path.c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0);
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

struct stat Lstat(const std::string& path) {
  struct stat st = {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

std::string GetXattr(const std::string& path, const char* name) {
  char buf[256];
  const ssize_t n = ::lgetxattr(path.c_str(), name, buf, sizeof(buf));
  return n < 0 ? std::string("<none>") : std::string(buf, static_cast<size_t>(n));
}

void SetTimes(const std::string& path, struct timespec atime, struct timespec mtime) {
  const struct timespec times[2] = {atime, mtime};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

// Every path below `root` (relative, sorted, directories before their children) with a
// character for its type, to compare whole trees: "d etc", "f etc/passwd", "l link"...
std::vector<std::string> Listing(const std::string& root, const std::string& rel = "") {
  std::vector<std::string> out;
  const std::string dir = rel.empty() ? root : root + "/" + rel;
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd.valid());
  Result<std::vector<std::string>> names = ListDirNames(fd.get(), dir);
  REQUIRE(names.has_value());
  for (const std::string& name : *names) {
    const std::string child = rel.empty() ? name : rel + "/" + name;
    const struct stat st = Lstat(root + "/" + child);
    const char type = S_ISDIR(st.st_mode)    ? 'd'
                      : S_ISREG(st.st_mode)  ? 'f'
                      : S_ISLNK(st.st_mode)  ? 'l'
                      : S_ISCHR(st.st_mode)  ? 'c'
                      : S_ISBLK(st.st_mode)  ? 'b'
                      : S_ISFIFO(st.st_mode) ? 'p'
                                             : '?';
    out.push_back(std::string(1, type) + " " + child);
    if (S_ISDIR(st.st_mode)) {
      for (std::string& sub : Listing(root, child)) out.push_back(std::move(sub));
    }
  }
  return out;
}

struct Tree {
  TempDir tmp = *TempDir::Create("", "bt-flatten-test-");
  std::string Path(const std::string& name) const { return tmp.path() + "/" + name; }
  std::string Dir(const std::string& name) const {
    MakeDir(Path(name));
    return Path(name);
  }
};

TEST_CASE("diffs apply bottom-up: whiteouts delete, opaque directories hide, later entries win",
          "[cache][chain_flatten][root]") {
  BT_REQUIRE_ROOT();
  Tree t;
  const std::string l1 = t.Dir("l1"), l2 = t.Dir("l2"), l3 = t.Dir("l3"), out = t.Dir("out");
  // Bottom layer: a small root filesystem.
  MakeDir(l1 + "/etc");
  WriteFile(l1 + "/etc/passwd", "root:x:0:0");
  WriteFile(l1 + "/etc/hosts", "127.0.0.1");
  MakeDir(l1 + "/usr");
  MakeDir(l1 + "/usr/bin");
  WriteFile(l1 + "/usr/bin/tool", "v1");
  MakeDir(l1 + "/var");
  MakeDir(l1 + "/var/cache");
  WriteFile(l1 + "/var/cache/a", "a");
  MakeDir(l1 + "/var/cache/sub");
  WriteFile(l1 + "/var/cache/sub/b", "b");
  MakeDir(l1 + "/opt");
  MakeDir(l1 + "/opt/dir");
  WriteFile(l1 + "/opt/dir/f", "f");
  WriteFile(l1 + "/keep", "k");
  WriteFile(l1 + "/gone-later", "g");
  // Middle layer: deletes etc/hosts, updates the tool, replaces var/cache wholesale
  // (opaque), turns opt/dir into a file.
  MakeDir(l2 + "/etc");
  Whiteout(l2 + "/etc/hosts");
  MakeDir(l2 + "/usr");
  MakeDir(l2 + "/usr/bin");
  WriteFile(l2 + "/usr/bin/tool", "v2");
  MakeDir(l2 + "/var");
  MakeDir(l2 + "/var/cache");
  MakeOpaque(l2 + "/var/cache");
  WriteFile(l2 + "/var/cache/c", "c");
  MakeDir(l2 + "/opt");
  WriteFile(l2 + "/opt/dir", "now a file");
  // Top layer: recreates etc/hosts, turns opt/dir back into a directory (which must not show
  // the bottom layer's opt/dir/f: the middle layer's file hid it), deletes gone-later.
  MakeDir(l3 + "/etc");
  WriteFile(l3 + "/etc/hosts", "10.0.0.1");
  MakeDir(l3 + "/opt");
  MakeDir(l3 + "/opt/dir");
  WriteFile(l3 + "/opt/dir/g", "g");
  Whiteout(l3 + "/gone-later");
  Whiteout(l3 + "/never-existed");  // a whiteout with nothing below it is a no-op

  REQUIRE(FlattenChain({l3, l2, l1}, out).has_value());

  CHECK(Listing(out) == std::vector<std::string>{
                            "d etc", "f etc/hosts", "f etc/passwd", "f keep", "d opt", "d opt/dir",
                            "f opt/dir/g", "d usr", "d usr/bin", "f usr/bin/tool", "d var",
                            "d var/cache", "f var/cache/c"});
  CHECK(ReadFile(out + "/etc/hosts") == "10.0.0.1");
  CHECK(ReadFile(out + "/etc/passwd") == "root:x:0:0");
  CHECK(ReadFile(out + "/usr/bin/tool") == "v2");
  CHECK(ReadFile(out + "/keep") == "k");
  // The opaque marker is the diff's format, not the directory's: it is not copied.
  CHECK(GetXattr(out + "/var/cache", "trusted.overlay.opaque") == "<none>");
}

TEST_CASE("entries keep type, special mode bits, owner, nanosecond times and xattrs",
          "[cache][chain_flatten][root]") {
  BT_REQUIRE_ROOT();
  Tree t;
  const std::string diff = t.Dir("diff"), out = t.Dir("out");
  const struct timespec atime{1111111111, 111111111};
  const struct timespec mtime{1234567890, 123456789};

  WriteFile(diff + "/suid", "#!/bin/sh\n", 04755);
  REQUIRE(::chown((diff + "/suid").c_str(), 1234, 5678) == 0);
  REQUIRE(::chmod((diff + "/suid").c_str(), 04755) == 0);  // chown cleared setuid
  REQUIRE(::setxattr((diff + "/suid").c_str(), "user.capability-like", "\x01\x02", 2, 0) == 0);
  SetTimes(diff + "/suid", atime, mtime);

  MakeDir(diff + "/sgid", 02775);
  MakeDir(diff + "/tmp", 01777);
  WriteFile(diff + "/tmp/inside", "written after the directory's times");
  REQUIRE(::setxattr((diff + "/tmp").c_str(), "user.dir", "d", 1, 0) == 0);
  SetTimes(diff + "/tmp", atime, mtime);

  REQUIRE(::symlink("/etc/passwd", (diff + "/abs-link").c_str()) == 0);
  REQUIRE(::lchown((diff + "/abs-link").c_str(), 42, 43) == 0);
  SetTimes(diff + "/abs-link", atime, mtime);
  REQUIRE(::mknod((diff + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
  REQUIRE(::chmod((diff + "/null").c_str(), 0666) == 0);
  REQUIRE(::mknod((diff + "/disk").c_str(), S_IFBLK | 0660, makedev(7, 0)) == 0);
  REQUIRE(::mkfifo((diff + "/fifo").c_str(), 0640) == 0);
  REQUIRE(::chmod((diff + "/fifo").c_str(), 0640) == 0);
  SetTimes(diff + "/fifo", atime, mtime);

  REQUIRE(FlattenChain({diff}, out).has_value());

  const struct stat suid = Lstat(out + "/suid");
  CHECK(S_ISREG(suid.st_mode));
  CHECK((suid.st_mode & 07777) == 04755);
  CHECK(suid.st_uid == 1234);
  CHECK(suid.st_gid == 5678);
  CHECK(suid.st_mtim.tv_sec == mtime.tv_sec);
  CHECK(suid.st_mtim.tv_nsec == mtime.tv_nsec);
  CHECK(suid.st_atim.tv_sec == atime.tv_sec);
  CHECK(suid.st_atim.tv_nsec == atime.tv_nsec);
  CHECK(GetXattr(out + "/suid", "user.capability-like") == std::string("\x01\x02"));
  CHECK(ReadFile(out + "/suid") == "#!/bin/sh\n");

  CHECK((Lstat(out + "/sgid").st_mode & 07777) == 02775);
  const struct stat tmp = Lstat(out + "/tmp");
  CHECK((tmp.st_mode & 07777) == 01777);
  // Set after its content was written, so creating tmp/inside did not move it.
  CHECK(tmp.st_mtim.tv_sec == mtime.tv_sec);
  CHECK(tmp.st_mtim.tv_nsec == mtime.tv_nsec);
  CHECK(GetXattr(out + "/tmp", "user.dir") == "d");
  CHECK(ReadFile(out + "/tmp/inside") == "written after the directory's times");

  const struct stat link = Lstat(out + "/abs-link");
  REQUIRE(S_ISLNK(link.st_mode));
  char target[64] = {};
  CHECK(::readlink((out + "/abs-link").c_str(), target, sizeof(target) - 1) == 11);
  CHECK(std::string(target) == "/etc/passwd");
  CHECK(link.st_uid == 42);
  CHECK(link.st_gid == 43);
  CHECK(link.st_mtim.tv_nsec == mtime.tv_nsec);

  const struct stat null = Lstat(out + "/null");
  CHECK(S_ISCHR(null.st_mode));
  CHECK(null.st_rdev == makedev(1, 3));
  CHECK((null.st_mode & 07777) == 0666);
  const struct stat disk = Lstat(out + "/disk");
  CHECK(S_ISBLK(disk.st_mode));
  CHECK(disk.st_rdev == makedev(7, 0));
  const struct stat fifo = Lstat(out + "/fifo");
  CHECK(S_ISFIFO(fifo.st_mode));
  CHECK((fifo.st_mode & 07777) == 0640);
  CHECK(fifo.st_mtim.tv_nsec == mtime.tv_nsec);
}

TEST_CASE("hard links within one diff stay hard links, a later diff's copy breaks the link",
          "[cache][chain_flatten]") {
  Tree t;
  const std::string l1 = t.Dir("l1"), l2 = t.Dir("l2");
  WriteFile(l1 + "/a", "shared");
  REQUIRE(::link((l1 + "/a").c_str(), (l1 + "/b").c_str()) == 0);
  MakeDir(l1 + "/sub");
  REQUIRE(::link((l1 + "/a").c_str(), (l1 + "/sub/c").c_str()) == 0);
  // The upper layer holds a new `a` only, as overlayfs' copy-up of one name leaves it
  // (without index=on): b and sub/c keep the old content.
  WriteFile(l2 + "/a", "changed");
  WriteFile(l2 + "/x", "x");
  REQUIRE(::link((l2 + "/x").c_str(), (l2 + "/y").c_str()) == 0);

  SECTION("one diff") {
    const std::string out = t.Dir("out");
    REQUIRE(FlattenChain({l1}, out).has_value());
    const struct stat a = Lstat(out + "/a");
    CHECK(a.st_nlink == 3);
    CHECK(Lstat(out + "/b").st_ino == a.st_ino);
    CHECK(Lstat(out + "/sub/c").st_ino == a.st_ino);
    // The copy is a new inode, not a link into the diff.
    CHECK(a.st_ino != Lstat(l1 + "/a").st_ino);
  }
  SECTION("two diffs") {
    const std::string out = t.Dir("out");
    REQUIRE(FlattenChain({l2, l1}, out).has_value());
    CHECK(ReadFile(out + "/a") == "changed");
    CHECK(ReadFile(out + "/b") == "shared");
    CHECK(Lstat(out + "/a").st_ino != Lstat(out + "/b").st_ino);
    CHECK(Lstat(out + "/b").st_ino == Lstat(out + "/sub/c").st_ino);
    CHECK(Lstat(out + "/x").st_ino == Lstat(out + "/y").st_ino);
  }
}

// The escape the brief names is `etc -> /` then `etc/passwd`; written literally, a bug here
// would overwrite the host's /etc/passwd. The symlinks point at a canary directory outside
// the destination instead (absolute and relative forms), and the `/` form writes a name no
// host has.
TEST_CASE("a symlink from a lower layer is replaced, never followed, by a higher layer",
          "[cache][chain_flatten]") {
  Tree t;
  const std::string canary = t.Dir("canary"), l1 = t.Dir("l1"), l2 = t.Dir("l2");
  const std::string out = t.Dir("out");
  WriteFile(canary + "/passwd", "host");
  REQUIRE(::symlink(canary.c_str(), (l1 + "/etc").c_str()) == 0);
  REQUIRE(::symlink("../canary", (l1 + "/rel").c_str()) == 0);
  REQUIRE(::symlink("/", (l1 + "/root").c_str()) == 0);
  const std::string unique = "bt-flatten-escape-" + std::to_string(::getpid());
  // In overlay form a higher layer writing etc/passwd holds etc as a directory.
  MakeDir(l2 + "/etc");
  WriteFile(l2 + "/etc/passwd", "layer");
  MakeDir(l2 + "/rel");
  WriteFile(l2 + "/rel/passwd", "layer");
  MakeDir(l2 + "/root");
  WriteFile(l2 + "/root/" + unique, "layer");

  REQUIRE(FlattenChain({l2, l1}, out).has_value());

  CHECK(ReadFile(canary + "/passwd") == "host");
  CHECK(Listing(canary) == std::vector<std::string>{"f passwd"});
  CHECK_FALSE(Exists("/" + unique));
  CHECK(S_ISDIR(Lstat(out + "/etc").st_mode));
  CHECK(ReadFile(out + "/etc/passwd") == "layer");
  CHECK(ReadFile(out + "/rel/passwd") == "layer");
  CHECK(ReadFile(out + "/root/" + unique) == "layer");
}

TEST_CASE("a whiteout below a lower layer's symlink deletes nothing outside",
          "[cache][chain_flatten][root]") {
  BT_REQUIRE_ROOT();
  Tree t;
  const std::string canary = t.Dir("canary"), l1 = t.Dir("l1"), l2 = t.Dir("l2");
  const std::string out = t.Dir("out");
  WriteFile(canary + "/passwd", "host");
  REQUIRE(::symlink(canary.c_str(), (l1 + "/etc").c_str()) == 0);
  MakeDir(l2 + "/etc");
  Whiteout(l2 + "/etc/passwd");
  REQUIRE(FlattenChain({l2, l1}, out).has_value());
  CHECK(ReadFile(canary + "/passwd") == "host");
  CHECK(Listing(out) == std::vector<std::string>{"d etc"});
}

TEST_CASE("flattening refuses a destination that is not empty, and names what failed",
          "[cache][chain_flatten]") {
  Tree t;
  const std::string diff = t.Dir("diff"), out = t.Dir("out");
  WriteFile(out + "/stale", "x");
  Result<void> busy = FlattenChain({diff}, out);
  REQUIRE_FALSE(busy.has_value());
  CHECK(busy.error().code == ErrorCode::kFailedPrecondition);

  const std::string empty = t.Dir("empty");
  Result<void> missing = FlattenChain({t.Path("no-such-diff")}, empty);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ErrorCode::kIo);
  CHECK(missing.error().sys_errno == ENOENT);
  CHECK(missing.error().message.find(t.Path("no-such-diff")) != std::string::npos);
}

}  // namespace
}  // namespace bt::cache
