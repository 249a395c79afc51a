// Tests for cache/snapshot/layer_apply.h: layer tarballs written here with libarchive's pax
// writer are applied into a diff dir next to a canary directory that no entry may touch
// (SECURITY.md cases 21-24). Cases that need root are tagged [root] and skip loudly.
#include "cache/snapshot/layer_apply.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "base/temp_dir.h"
#include "base/unique_fd.h"

namespace bt::cache {
namespace {

namespace fs = std::filesystem;

enum class Kind { kFile, kDir, kSymlink, kHardlink, kChar, kBlock, kFifo };

struct TarEntry {
  std::string name;
  Kind kind = Kind::kFile;
  std::string content;  // file data
  std::string link;     // symlink target or hard-link target
  mode_t perm = 0644;
  int64_t uid = 0;
  int64_t gid = 0;
  time_t mtime = 1000000000;
  dev_t rdev = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

TarEntry File(std::string name, std::string content, mode_t perm = 0644) {
  TarEntry e;
  e.name = std::move(name);
  e.content = std::move(content);
  e.perm = perm;
  return e;
}
TarEntry Dir(std::string name, mode_t perm = 0755) {
  TarEntry e;
  e.name = std::move(name);
  e.kind = Kind::kDir;
  e.perm = perm;
  return e;
}
TarEntry Symlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.kind = Kind::kSymlink;
  e.link = std::move(target);
  e.perm = 0777;
  return e;
}
TarEntry Hardlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.kind = Kind::kHardlink;
  e.link = std::move(target);
  return e;
}

enum class Compression { kNone, kGzip, kZstd };

void WriteTar(const std::string& path, const std::vector<TarEntry>& entries,
              Compression compression = Compression::kNone) {
  struct archive* a = archive_write_new();
  REQUIRE(archive_write_set_format_pax(a) == ARCHIVE_OK);
  if (compression == Compression::kGzip) REQUIRE(archive_write_add_filter_gzip(a) == ARCHIVE_OK);
  if (compression == Compression::kZstd) REQUIRE(archive_write_add_filter_zstd(a) == ARCHIVE_OK);
  REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
  for (const TarEntry& t : entries) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, t.mtime, 0);
    switch (t.kind) {
      case Kind::kFile: archive_entry_set_filetype(e, AE_IFREG); break;
      case Kind::kDir: archive_entry_set_filetype(e, AE_IFDIR); break;
      case Kind::kSymlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, t.link.c_str());
        break;
      case Kind::kHardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, t.link.c_str());
        break;
      case Kind::kChar: archive_entry_set_filetype(e, AE_IFCHR); break;
      case Kind::kBlock: archive_entry_set_filetype(e, AE_IFBLK); break;
      case Kind::kFifo: archive_entry_set_filetype(e, AE_IFIFO); break;
    }
    archive_entry_set_perm(e, t.perm);
    if (t.kind == Kind::kChar || t.kind == Kind::kBlock) archive_entry_set_rdev(e, t.rdev);
    for (const auto& [k, v] : t.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    archive_entry_set_size(e, t.kind == Kind::kFile ? static_cast<la_int64_t>(t.content.size()) : 0);
    REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
    if (t.kind == Kind::kFile && !t.content.empty()) {
      REQUIRE(archive_write_data(a, t.content.data(), t.content.size()) ==
              static_cast<la_ssize_t>(t.content.size()));
    }
    archive_entry_free(e);
  }
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
}

bool IsRoot() { return ::geteuid() == 0; }

#define BT_REQUIRE_ROOT()                                                               \
  do {                                                                                  \
    if (!IsRoot()) {                                                                    \
      WARN("SKIPPED: needs root (CAP_MKNOD, CAP_CHOWN, trusted.* xattrs); running as uid " \
           << ::geteuid());                                                             \
      return;                                                                           \
    }                                                                                   \
  } while (0)

UniqueFd OpenDir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd.valid());
  return fd;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct stat Lstat(const std::string& path) {
  struct stat st = {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string GetXattr(const std::string& path, const char* name) {
  char buf[256];
  ssize_t n = ::lgetxattr(path.c_str(), name, buf, sizeof(buf));
  return n < 0 ? std::string() : std::string(buf, n);
}

// <tmp>/{layer.tar, diff/, lower0/, canary/sentinel}. The canary sits where `../canary`
// from the diff would land.
class Fixture {
 public:
  Fixture() : tmp_(*TempDir::Create("", "layer_apply_test.")) {
    fs::create_directory(diff());
    fs::create_directory(canary());
    std::ofstream(canary() + "/sentinel") << "canary";
    std::ofstream(tar()) << "";
    for (int i = 0; i < 2; ++i) fs::create_directory(lower(i));
    canary_before_ = Snapshot();
  }

  std::string root() const { return tmp_.path(); }
  std::string diff() const { return root() + "/diff"; }
  std::string canary() const { return root() + "/canary"; }
  std::string tar() const { return root() + "/layer.tar"; }
  std::string lower(int i) const { return root() + "/lower" + std::to_string(i); }

  Result<ApplyStats> Apply(const std::vector<TarEntry>& entries, int lowers = 0,
                           OwnershipPolicy ownership = OwnershipPolicy::kCaller,
                           Compression compression = Compression::kNone) {
    WriteTar(tar(), entries, compression);
    return ApplyFile(lowers, ownership);
  }

  Result<ApplyStats> ApplyFile(int lowers, OwnershipPolicy ownership) {
    UniqueFd layer(::open(tar().c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(layer.valid());
    UniqueFd diff_fd = OpenDir(diff());
    std::vector<UniqueFd> lower_fds;
    std::vector<int> raw;
    for (int i = 0; i < lowers; ++i) {
      lower_fds.push_back(OpenDir(lower(i)));
      raw.push_back(lower_fds.back().get());
    }
    ApplyOptions options;
    options.ownership = ownership;
    return ApplyLayer(layer.get(), diff_fd.get(), raw, options);
  }

  // Applies `entries` as lower layer i (a plain unpacked directory).
  void MakeLower(int i, const std::vector<TarEntry>& entries) {
    fs::create_directory(lower(i));
    WriteTar(tar(), entries);
    UniqueFd layer(::open(tar().c_str(), O_RDONLY | O_CLOEXEC));
    UniqueFd fd = OpenDir(lower(i));
    ApplyOptions options;
    options.ownership = OwnershipPolicy::kCaller;
    auto applied = ApplyLayer(layer.get(), fd.get(), {}, options);
    REQUIRE(applied.has_value());
  }

  // Everything outside diff/ and lower*/: names, sizes, inodes, mtimes.
  std::string Snapshot() const {
    std::string out;
    for (const auto& e : fs::recursive_directory_iterator(canary())) {
      struct stat st = Lstat(e.path().string());
      out += e.path().string() + " " + std::to_string(st.st_ino) + " " + std::to_string(st.st_size) +
             " " + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "\n";
    }
    struct stat st = Lstat(canary());
    out += "canary " + std::to_string(st.st_mode) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec) + "\n";
    for (const auto& e : fs::directory_iterator(root())) out += "top " + e.path().filename().string() + "\n";
    return out;
  }
  bool CanaryUntouched() const { return Snapshot() == canary_before_; }

 private:
  TempDir tmp_;
  std::string canary_before_;
};

TEST_CASE("files, directories, symlinks and hard links are unpacked with their metadata",
          "[cache][layer_apply]") {
  Fixture f;
  TarEntry dir = Dir("etc/", 0750);
  dir.mtime = 1111111111;
  TarEntry file = File("etc/hosts", "127.0.0.1 localhost\n", 0640);
  file.mtime = 1222222222;
  auto stats = f.Apply({Dir("./"), dir, file, Symlink("etc/abs", "/does/not/exist"),
                        Symlink("rel", "etc/hosts"), Hardlink("etc/hosts.link", "etc/hosts"),
                        File("./bin/tool", "#!/bin/sh\n", 0755)});
  REQUIRE(stats.has_value());
  CHECK(stats->entries == 7);
  CHECK(stats->bytes == 20 + 10);
  CHECK(stats->whiteouts == 0);

  CHECK(ReadFile(f.diff() + "/etc/hosts") == "127.0.0.1 localhost\n");
  CHECK((Lstat(f.diff() + "/etc/hosts").st_mode & 07777) == 0640);
  CHECK(Lstat(f.diff() + "/etc/hosts").st_mtim.tv_sec == 1222222222);
  CHECK((Lstat(f.diff() + "/etc").st_mode & 07777) == 0750);
  CHECK(Lstat(f.diff() + "/etc").st_mtim.tv_sec == 1111111111);  // set after its children
  CHECK(fs::read_symlink(f.diff() + "/etc/abs") == "/does/not/exist");  // stored verbatim
  CHECK(fs::read_symlink(f.diff() + "/rel") == "etc/hosts");
  CHECK(Lstat(f.diff() + "/etc/hosts.link").st_ino == Lstat(f.diff() + "/etc/hosts").st_ino);
  CHECK(ReadFile(f.diff() + "/bin/tool") == "#!/bin/sh\n");  // parent created as needed
  CHECK((Lstat(f.diff() + "/bin").st_mode & 07777) == 0755);
  CHECK(f.CanaryUntouched());
}

TEST_CASE("gzip and zstd layers are decompressed in-process", "[cache][layer_apply]") {
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    Fixture f;
    auto stats = f.Apply({File("a/b", std::string(100000, 'x'))}, 0, OwnershipPolicy::kCaller, c);
    REQUIRE(stats.has_value());
    CHECK(stats->bytes == 100000);
    CHECK(ReadFile(f.diff() + "/a/b") == std::string(100000, 'x'));
  }
}

TEST_CASE("a corrupt or truncated layer fails with kDataLoss", "[cache][layer_apply]") {
  Fixture f;
  WriteTar(f.tar(), {File("a", std::string(4096, 'x'))}, Compression::kGzip);
  fs::resize_file(f.tar(), fs::file_size(f.tar()) / 2);
  auto stats = f.ApplyFile(0, OwnershipPolicy::kCaller);
  REQUIRE_FALSE(stats.has_value());
  CHECK(stats.error().code == ErrorCode::kDataLoss);
}

TEST_CASE("a diff dir that is not empty is refused", "[cache][layer_apply]") {
  Fixture f;
  std::ofstream(f.diff() + "/old") << "x";
  auto stats = f.Apply({File("a", "b")});
  REQUIRE_FALSE(stats.has_value());
  CHECK(stats.error().code == ErrorCode::kFailedPrecondition);
}

TEST_CASE("long names and link targets from pax headers are unpacked", "[cache][layer_apply]") {
  Fixture f;
  std::string deep;
  for (int i = 0; i < 12; ++i) deep += "directory-level-" + std::to_string(i) + "/";
  const std::string name = deep + std::string(200, 'f');
  auto stats = f.Apply({File(name, "deep"), Symlink("l", name), Hardlink("h", name)});
  REQUIRE(stats.has_value());
  CHECK(ReadFile(f.diff() + "/" + name) == "deep");
  CHECK(fs::read_symlink(f.diff() + "/l") == name);
  CHECK(ReadFile(f.diff() + "/h") == "deep");
}

TEST_CASE("a later entry replaces an earlier one of another type", "[cache][layer_apply]") {
  Fixture f;
  auto stats = f.Apply({File("x", "file"), Dir("x/"), File("x/in", "in"), File("y", "1"),
                        Symlink("y", "x"), Dir("d/"), File("d/old", "o"), Dir("d/")});
  REQUIRE(stats.has_value());
  CHECK(fs::is_directory(f.diff() + "/x"));
  CHECK(ReadFile(f.diff() + "/x/in") == "in");
  CHECK(fs::read_symlink(f.diff() + "/y") == "x");
  CHECK(ReadFile(f.diff() + "/d/old") == "o");  // a repeated directory keeps its children
}

TEST_CASE("uid, gid, setuid, setgid and sticky modes survive (mode set after chown)",
          "[cache][layer_apply][root]") {
  BT_REQUIRE_ROOT();
  Fixture f;
  TarEntry su = File("usr/bin/su", "elf", 04755);
  su.uid = 0;
  su.gid = 0;
  TarEntry sg = File("usr/bin/wall", "elf", 02755);
  sg.uid = 1000;
  sg.gid = 5;
  TarEntry tmp = Dir("tmp/", 01777);
  TarEntry owned = File("home/app/f", "x", 04700);
  owned.uid = 1234;
  owned.gid = 4321;
  auto stats = f.Apply({su, sg, tmp, owned}, 0, OwnershipPolicy::kFromArchive);
  REQUIRE(stats.has_value());
  CHECK((Lstat(f.diff() + "/usr/bin/su").st_mode & 07777) == 04755);
  CHECK((Lstat(f.diff() + "/usr/bin/wall").st_mode & 07777) == 02755);
  CHECK(Lstat(f.diff() + "/usr/bin/wall").st_uid == 1000);
  CHECK(Lstat(f.diff() + "/usr/bin/wall").st_gid == 5);
  CHECK((Lstat(f.diff() + "/tmp").st_mode & 07777) == 01777);
  CHECK((Lstat(f.diff() + "/home/app/f").st_mode & 07777) == 04700);
  CHECK(Lstat(f.diff() + "/home/app/f").st_uid == 1234);
  CHECK(Lstat(f.diff() + "/home/app/f").st_gid == 4321);
}

TEST_CASE("xattrs are applied, security.capability survives chown, trusted.overlay.* is dropped",
          "[cache][layer_apply][root]") {
  BT_REQUIRE_ROOT();
  Fixture f;
  // VFS_CAP_REVISION_2 with cap_net_raw (bit 13) permitted and effective.
  const std::string cap("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
  TarEntry ping = File("bin/ping", "elf", 0755);
  ping.uid = 0;
  ping.xattrs = {{"security.capability", cap}, {"user.note", "hello"}};
  TarEntry evil = Dir("opt/", 0755);
  evil.xattrs = {{"trusted.overlay.opaque", "y"}, {"trusted.overlay.redirect", "/etc"}};
  auto stats = f.Apply({ping, evil}, 0, OwnershipPolicy::kFromArchive);
  REQUIRE(stats.has_value());
  CHECK(GetXattr(f.diff() + "/bin/ping", "security.capability") == cap);
  CHECK(GetXattr(f.diff() + "/bin/ping", "user.note") == "hello");
  CHECK(GetXattr(f.diff() + "/opt", "trusted.overlay.opaque").empty());
  CHECK(GetXattr(f.diff() + "/opt", "trusted.overlay.redirect").empty());
  CHECK(stats->dropped_xattrs == 2);
}

TEST_CASE("device nodes and fifos are created with mknod", "[cache][layer_apply][root]") {
  BT_REQUIRE_ROOT();
  Fixture f;
  TarEntry null;
  null.name = "dev/null";
  null.kind = Kind::kChar;
  null.rdev = makedev(1, 3);
  null.perm = 0666;
  TarEntry loop = null;
  loop.name = "dev/loop0";
  loop.kind = Kind::kBlock;
  loop.rdev = makedev(7, 0);
  loop.perm = 0660;
  TarEntry fifo = null;
  fifo.name = "run/fifo";
  fifo.kind = Kind::kFifo;
  fifo.perm = 0620;
  auto stats = f.Apply({null, loop, fifo}, 0, OwnershipPolicy::kFromArchive);
  REQUIRE(stats.has_value());
  struct stat st = Lstat(f.diff() + "/dev/null");
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(1, 3));
  CHECK((st.st_mode & 07777) == 0666);
  st = Lstat(f.diff() + "/dev/loop0");
  CHECK(S_ISBLK(st.st_mode));
  CHECK(st.st_rdev == makedev(7, 0));
  st = Lstat(f.diff() + "/run/fifo");
  CHECK(S_ISFIFO(st.st_mode));
  CHECK((st.st_mode & 07777) == 0620);
}

TEST_CASE("OCI whiteouts become overlay whiteouts and opaque markers set the xattr",
          "[cache][layer_apply][root]") {
  BT_REQUIRE_ROOT();
  Fixture f;
  f.MakeLower(0, {File("etc/old", "o"), File("var/cache/a", "a"), File("keep", "k")});
  auto stats = f.Apply({File("etc/.wh.old", ""), Dir("var/cache/"), File("var/cache/.wh..wh..opq", ""),
                        File("var/cache/new", "n"), File(".wh..wh.plnk", "")},
                       1, OwnershipPolicy::kFromArchive);
  REQUIRE(stats.has_value());
  CHECK(stats->whiteouts == 1);
  CHECK(stats->opaque_dirs == 1);
  struct stat st = Lstat(f.diff() + "/etc/old");
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(0, 0));
  CHECK_FALSE(Exists(f.diff() + "/etc/.wh.old"));  // never written as a regular file
  CHECK(GetXattr(f.diff() + "/var/cache", "trusted.overlay.opaque") == "y");
  CHECK(ReadFile(f.diff() + "/var/cache/new") == "n");  // same-layer files survive the marker
  CHECK_FALSE(Exists(f.diff() + "/var/cache/.wh..wh..opq"));
  CHECK_FALSE(Exists(f.diff() + "/.wh..wh.plnk"));
  CHECK_FALSE(Exists(f.diff() + "/keep"));

  SECTION("a whiteout does not hide what the same layer added; a dir replacing one is opaque") {
    Fixture g;
    g.MakeLower(0, {File("d/lower", "l")});
    auto again = g.Apply({File("mine", "m"), File(".wh.mine", ""), File(".wh.d", ""), Dir("d/"),
                          File("d/new", "n")},
                         1, OwnershipPolicy::kFromArchive);
    REQUIRE(again.has_value());
    CHECK(ReadFile(g.diff() + "/mine") == "m");
    CHECK(GetXattr(g.diff() + "/d", "trusted.overlay.opaque") == "y");
    CHECK(ReadFile(g.diff() + "/d/new") == "n");
  }
}

TEST_CASE("invalid whiteout names are refused", "[cache][layer_apply][adversarial]") {
  for (const char* name : {".wh..", ".wh...", "a/.wh.", "../.wh.etc", "a/../../.wh.x"}) {
    Fixture f;
    auto stats = f.Apply({File(name, "")});
    INFO(name);
    REQUIRE_FALSE(stats.has_value());
    CHECK(stats.error().code == ErrorCode::kInvalidArgument);
    CHECK(f.CanaryUntouched());
  }
}

// Since Linux 5.8 anyone may mknod a whiteout (char 0:0); trusted.* xattrs still need
// CAP_SYS_ADMIN, so an opaque marker is what a non-root caller cannot apply.
TEST_CASE("opaque markers without CAP_SYS_ADMIN fail clearly", "[cache][layer_apply]") {
  if (IsRoot()) {
    WARN("SKIPPED: runs only without root (it checks the error a non-root caller gets)");
    return;
  }
  Fixture f;
  auto stats = f.Apply({Dir("d/"), File("d/.wh..wh..opq", "")});
  REQUIRE_FALSE(stats.has_value());
  CHECK(stats.error().code == ErrorCode::kPermissionDenied);
  CHECK(stats.error().message.find("\"d/.wh..wh..opq\"") != std::string::npos);
  CHECK(stats.error().message.find("CAP_SYS_ADMIN") != std::string::npos);
}

TEST_CASE("entry names that leave the root are refused and name the entry",
          "[cache][layer_apply][adversarial]") {
  const std::vector<std::vector<TarEntry>> layers = {
      {File("../canary/x", "pwn")},
      {File("a/../../canary/x", "pwn")},
      {File("/abs/path", "pwn")},
      {File("ok", "1"), Hardlink("h", "/etc/passwd")},
      {File("ok", "1"), Hardlink("h", "../canary/sentinel")},
      {Symlink("a", "/"), Hardlink("h", "a/etc/passwd")},  // in-root: no such file
      {Dir("d/"), Hardlink("h", "d")},                     // hard link to a directory
  };
  for (const auto& layer : layers) {
    Fixture f;
    auto stats = f.Apply(layer);
    INFO(layer.back().name << " -> " << layer.back().link);
    REQUIRE_FALSE(stats.has_value());
    CHECK(stats.error().code == ErrorCode::kInvalidArgument);
    CHECK(stats.error().message.find("\"" + layer.back().name + "\"") != std::string::npos);
    CHECK(f.CanaryUntouched());
    CHECK_FALSE(Exists("/abs/path"));
  }
}

// SECURITY.md decision 1: going through a symlink is not refused; it resolves in-root.
TEST_CASE("writes through symlinks stay inside the root", "[cache][layer_apply][adversarial]") {
  Fixture f;
  TarEntry d = Dir("d/", 0700);
  d.mtime = 1;
  auto stats = f.Apply({
      Symlink("a", "/"), File("a/etc/x", "1"),                  // absolute link to the root
      Symlink("up", ".."), File("up/y", "2"),                   // link to ..
      Symlink("far", "../../../../canary"), File("far/z", "3"), // more .. than depth
      d, File("d/f", "4"), Symlink("d", "../canary"),           // dir replaced by a link
      File("d/w", "5"),
      Symlink("loop", "loop"),
  });
  REQUIRE(stats.has_value());
  CHECK(ReadFile(f.diff() + "/etc/x") == "1");
  CHECK(ReadFile(f.diff() + "/y") == "2");
  CHECK(ReadFile(f.diff() + "/canary/z") == "3");
  CHECK(ReadFile(f.diff() + "/canary/w") == "5");
  CHECK(fs::read_symlink(f.diff() + "/d") == "../canary");
  CHECK(fs::read_symlink(f.diff() + "/a") == "/");
  CHECK(f.CanaryUntouched());  // also: d's deferred times did not land on the canary

  SECTION("a symlink loop in a parent fails clearly") {
    Fixture g;
    auto looped = g.Apply({Symlink("loop", "loop"), File("loop/x", "1")});
    REQUIRE_FALSE(looped.has_value());
    CHECK(looped.error().message.find("symbolic links") != std::string::npos);
    CHECK(g.CanaryUntouched());
  }
  SECTION("a file as a parent fails clearly") {
    Fixture g;
    auto bad = g.Apply({File("f", "1"), File("f/x", "1")});
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("usrmerge: a write through a parent's lib -> usr/lib lands in usr/lib of the diff",
          "[cache][layer_apply]") {
  Fixture f;
  TarEntry usr_lib = Dir("usr/lib/", 0751);
  usr_lib.mtime = 1234567890;
  f.MakeLower(0, {Dir("usr/"), usr_lib, File("usr/lib/libc.so", "libc"), Symlink("lib", "usr/lib"),
                  Dir("var/"), Symlink("var/run", "/run"), Dir("run/", 0755)});
  auto stats = f.Apply({File("lib/x.so", "x"), File("var/run/app.pid", "42"),
                        Hardlink("lib/libc-link.so", "lib/libc.so")},
                       1);
  REQUIRE(stats.has_value());
  CHECK(ReadFile(f.diff() + "/usr/lib/x.so") == "x");
  CHECK_FALSE(Exists(f.diff() + "/lib"));  // the symlink stays in the parent
  CHECK((Lstat(f.diff() + "/usr/lib").st_mode & 07777) == 0751);  // copied up
  CHECK(Lstat(f.diff() + "/usr/lib").st_mtim.tv_sec == 1234567890);
  CHECK(ReadFile(f.diff() + "/run/app.pid") == "42");
  CHECK_FALSE(Exists(f.diff() + "/var/run"));
  // A hard link to a parent's file copies the file up and links to the copy.
  CHECK(ReadFile(f.diff() + "/usr/lib/libc-link.so") == "libc");
  CHECK(Lstat(f.diff() + "/usr/lib/libc-link.so").st_ino == Lstat(f.diff() + "/usr/lib/libc.so").st_ino);
  CHECK(Lstat(f.lower(0) + "/usr/lib/libc.so").st_nlink == 1);
  CHECK(f.CanaryUntouched());
}

TEST_CASE("the lower chain is consulted top first and honours its whiteouts",
          "[cache][layer_apply][root]") {
  BT_REQUIRE_ROOT();
  Fixture f;
  f.MakeLower(1, {Symlink("lib", "usr/lib"), Dir("usr/lib/")});
  // The upper parent deleted the link and made lib a real directory.
  f.MakeLower(0, {File(".wh.lib", ""), Dir("lib/", 0700)});
  auto stats = f.Apply({File("lib/x.so", "x")}, 2, OwnershipPolicy::kFromArchive);
  REQUIRE(stats.has_value());
  CHECK(ReadFile(f.diff() + "/lib/x.so") == "x");
  CHECK((Lstat(f.diff() + "/lib").st_mode & 07777) == 0700);
  CHECK_FALSE(Exists(f.diff() + "/usr"));
}

}  // namespace
}  // namespace bt::cache
