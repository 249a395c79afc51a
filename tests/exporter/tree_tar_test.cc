// WriteTreeAsTar: each file type and attribute survives, the order is fixed, and overlay
// whiteouts become OCI whiteouts. The archive is read back with libarchive's reader.
#include "exporter/tree_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"

namespace bt::exporter {
namespace {

struct Read {
  std::string type;  // "file", "dir", "link", "hardlink", "fifo", "char"
  unsigned mode = 0;
  long uid = 0;
  std::string data;
  std::string target;  // symlink or hardlink target
  std::map<std::string, std::string> xattrs;
  long mtime = 0;
};

std::vector<std::pair<std::string, Read>> ReadTar(const std::string& path) {
  std::vector<std::pair<std::string, Read>> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_filename(a, path.c_str(), 10240) == ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Read r;
    r.mode = archive_entry_perm(e);
    r.uid = static_cast<long>(archive_entry_uid(e));
    r.mtime = static_cast<long>(archive_entry_mtime(e));
    if (archive_entry_hardlink(e) != nullptr) {
      r.type = "hardlink";
      r.target = archive_entry_hardlink(e);
    } else {
      switch (archive_entry_filetype(e)) {
        case AE_IFREG: r.type = "file"; break;
        case AE_IFDIR: r.type = "dir"; break;
        case AE_IFLNK: r.type = "link"; r.target = archive_entry_symlink(e); break;
        case AE_IFIFO: r.type = "fifo"; break;
        case AE_IFCHR: r.type = "char"; break;
        default: r.type = "other";
      }
    }
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      r.xattrs[name] = std::string(static_cast<const char*>(value), size);
    }
    char buf[4096];
    ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) r.data.append(buf, n);
    out.emplace_back(archive_entry_pathname(e), r);
  }
  archive_read_free(a);
  return out;
}

TEST_CASE("a tree becomes a tar with every type and attribute, in sorted order",
          "[exporter][tar]") {
  TempDir dir = *TempDir::Create("", "bt-tar-");
  const std::string t = dir.path() + "/tree";
  REQUIRE(::mkdir(t.c_str(), 0755) == 0);
  REQUIRE(::mkdir((t + "/b").c_str(), 0750) == 0);
  std::ofstream(t + "/b/z") << "zzz";
  std::ofstream(t + "/a") << "hello";
  REQUIRE(::chmod((t + "/a").c_str(), 04755) == 0);
  REQUIRE(::link((t + "/a").c_str(), (t + "/b/a-again").c_str()) == 0);
  REQUIRE(::symlink("../a", (t + "/b/up").c_str()) == 0);
  REQUIRE(::mkfifo((t + "/fifo").c_str(), 0600) == 0);
  const bool has_xattr = ::setxattr((t + "/b/z").c_str(), "user.note", "v", 1, 0) == 0;
  const struct timespec times[2] = {{1000, 0}, {1700000000, 5}};
  REQUIRE(::utimensat(AT_FDCWD, (t + "/b/z").c_str(), times, 0) == 0);

  const std::string out = dir.path() + "/out.tar";
  {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(WriteTreeAsTar(t, fd).has_value());
    ::close(fd);
  }
  const auto entries = ReadTar(out);
  std::vector<std::string> names;
  for (const auto& [name, r] : entries) names.push_back(name);
  CHECK(names == std::vector<std::string>{"a", "b/", "b/a-again", "b/up", "b/z", "fifo"});
  std::map<std::string, Read> by(entries.begin(), entries.end());
  CHECK(by["a"].type == "file");
  CHECK(by["a"].data == "hello");
  CHECK(by["a"].mode == 04755);
  CHECK(by["b/"].type == "dir");
  CHECK(by["b/"].mode == 0750);
  CHECK(by["b/a-again"].type == "hardlink");
  CHECK(by["b/a-again"].target == "a");
  CHECK(by["b/up"].type == "link");
  CHECK(by["b/up"].target == "../a");
  CHECK(by["fifo"].type == "fifo");
  CHECK(by["b/z"].mtime == 1700000000);
  if (has_xattr) CHECK(by["b/z"].xattrs["user.note"] == "v");

  SECTION("the same tree gives the same bytes") {
    const std::string again = dir.path() + "/again.tar";
    const int fd = ::open(again.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(WriteTreeAsTar(t, fd).has_value());
    ::close(fd);
    std::ifstream x(out, std::ios::binary), y(again, std::ios::binary);
    CHECK(std::string(std::istreambuf_iterator<char>(x), {}) ==
          std::string(std::istreambuf_iterator<char>(y), {}));
  }
  SECTION("clamped timestamps") {
    const std::string clamped = dir.path() + "/clamped.tar";
    const int fd = ::open(clamped.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(WriteTreeAsTar(t, fd, {.oci_whiteouts = false, .clamp_mtime = 1000}).has_value());
    ::close(fd);
    for (const auto& [name, r] : ReadTar(clamped)) CHECK(r.mtime <= 1000);
  }
}

TEST_CASE("overlay whiteouts and opaque directories become OCI whiteouts", "[exporter][tar]") {
  TempDir dir = *TempDir::Create("", "bt-tar-");
  const std::string t = dir.path() + "/diff";
  REQUIRE(::mkdir(t.c_str(), 0755) == 0);
  if (::mknod((t + "/gone").c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0) {
    WARN("skipped: mknod needs CAP_MKNOD (" << errno << ")");
    return;
  }
  REQUIRE(::mkdir((t + "/opq").c_str(), 0755) == 0);
  if (::setxattr((t + "/opq").c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
    WARN("skipped: trusted xattrs need CAP_SYS_ADMIN and a filesystem that has them");
    return;
  }
  std::ofstream(t + "/opq/new") << "n";
  const std::string out = dir.path() + "/layer.tar";
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(WriteTreeAsTar(t, fd, {.oci_whiteouts = true, .clamp_mtime = std::nullopt}).has_value());
  ::close(fd);
  std::vector<std::string> names;
  for (const auto& [name, r] : ReadTar(out)) {
    names.push_back(name);
    CHECK(r.xattrs.count("trusted.overlay.opaque") == 0);
  }
  CHECK(names == std::vector<std::string>{".wh.gone", "opq/", "opq/.wh..wh..opq", "opq/new"});
}

}  // namespace
}  // namespace bt::exporter
