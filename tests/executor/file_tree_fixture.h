// Fixtures for the executor/fileop tests: a scratch directory holding the destination tree
// (dest/), a build context (ctx/), a second source tree (stage/), and outside/, a sentinel
// next to them that no action may change or read (SECURITY.md section 2, host-integrity
// oracle); plus helpers to make and inspect entries and to write tar archives.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "base/temp_dir.h"
#include "executor/fileop/apply_file_actions.h"
#include "oci/digest.h"

namespace bt::executor::test {

namespace fs = std::filesystem;

inline bool IsRoot() { return ::geteuid() == 0; }

// Cases that chown or mknod need root; they skip loudly otherwise (STYLE.md 2.11).
#define BT_EXECUTOR_REQUIRE_ROOT()                                                        \
  do {                                                                                    \
    if (!::bt::executor::test::IsRoot()) {                                                \
      WARN("SKIPPED: needs root (CAP_CHOWN, CAP_MKNOD); running as uid " << ::geteuid()); \
      return;                                                                             \
    }                                                                                     \
  } while (0)

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, const std::string& content, mode_t mode = 0644) {
  fs::create_directories(fs::path(path).parent_path());
  { std::ofstream(path, std::ios::binary) << content; }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

inline void MakeDir(const std::string& path, mode_t mode = 0755) {
  fs::create_directories(path);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

inline void MakeSymlink(const std::string& path, const std::string& target) {
  fs::create_directories(fs::path(path).parent_path());
  REQUIRE(::symlink(target.c_str(), path.c_str()) == 0);
}

inline bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

inline struct stat Lstat(const std::string& path) {
  struct stat st = {};
  INFO("lstat " << path);
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

inline mode_t Perm(const std::string& path) { return Lstat(path).st_mode & 07777; }

inline std::string LinkTarget(const std::string& path) {
  char buf[4096];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf));
  REQUIRE(n >= 0);
  return std::string(buf, static_cast<size_t>(n));
}

inline void SetMtime(const std::string& path, time_t seconds) {
  const struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

// Whether the file system under `dir` keeps user.* xattrs (tmpfs before Linux 6.6 does not).
inline bool SupportsUserXattrs(const std::string& dir) {
  const std::string probe = dir + "/.xattr-probe";
  WriteFile(probe, "");
  const bool ok = ::setxattr(probe.c_str(), "user.probe", "1", 1, 0) == 0;
  ::unlink(probe.c_str());
  return ok;
}

// Every entry below `root`: type, mode, owner, size, content or link target, mtime. Two
// equal snapshots mean nothing below was changed (or replaced) in any visible way.
inline std::map<std::string, std::string> SnapshotTree(const std::string& root) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string p = it->path().string();
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) continue;
    std::ostringstream line;
    line << std::oct << st.st_mode << std::dec << " " << st.st_uid << ":" << st.st_gid << " " << st.st_size
         << " " << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec << " " << st.st_ino;
    if (S_ISREG(st.st_mode)) line << " " << ReadFile(p);
    if (S_ISLNK(st.st_mode)) line << " -> " << LinkTarget(p);
    out[p.substr(root.size())] = line.str();
  }
  return out;
}

// Every regular file below `root` whose content contains `needle`.
inline std::vector<std::string> FilesContaining(const std::string& root, const std::string& needle) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file() && !it->is_symlink() &&
        ReadFile(it->path().string()).find(needle) != std::string::npos) {
      out.push_back(it->path().string());
    }
  }
  return out;
}

// The tree below `root` as ../shared/conformance/semantics/extract.sh's listfs describes it
// (README "files.txt"): "PATH TYPE MODE UID:GID SIZE DATA", sorted; of a group of hard
// links the first path in sort order is the file, the others name it.
inline std::vector<std::string> ListFs(const std::string& root) {
  std::vector<std::string> paths;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    paths.push_back(it->path().string().substr(root.size()));
  }
  std::sort(paths.begin(), paths.end());
  std::map<ino_t, std::string> first;
  std::vector<std::string> lines;
  for (const std::string& p : paths) {
    const struct stat st = Lstat(root + p);
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", st.st_mode & 07777);
    const std::string head = p + " ";
    const std::string meta = std::string(mode) + " " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
    if (S_ISDIR(st.st_mode)) {
      lines.push_back(head + "dir " + meta + " - -");
    } else if (S_ISLNK(st.st_mode)) {
      lines.push_back(head + "symlink " + meta + " - " + LinkTarget(root + p));
    } else if (S_ISREG(st.st_mode)) {
      if (st.st_nlink > 1) {
        auto [it, inserted] = first.emplace(st.st_ino, p);
        if (!inserted) {
          lines.push_back(head + "hardlink " + meta + " " + std::to_string(st.st_size) + " " + it->second);
          continue;
        }
      }
      lines.push_back(head + "file " + meta + " " + std::to_string(st.st_size) + " " +
                      oci::Digest::Of(ReadFile(root + p)).hex());
    } else if (S_ISFIFO(st.st_mode)) {
      lines.push_back(head + "fifo " + meta + " - -");
    } else {
      lines.push_back(head + "other " + meta + " - -");
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

// The scratch directory: dest/, ctx/ (source 0), stage/ (source 1), outside/ (the sentinel,
// holding secret.txt with a random-looking token and a directory).
class Trees {
 public:
  static constexpr const char* kSecret = "TOKEN-6f1c2a9e-outside-must-not-leak";

  Trees() : tmp_(*TempDir::Create("", "fileop_test.")) {
    MakeDir(dest());
    MakeDir(ctx());
    MakeDir(stage());
    MakeDir(outside() + "/dir");
    WriteFile(outside() + "/secret.txt", kSecret, 0600);
    WriteFile(outside() + "/dir/inner.txt", "inner", 0644);
    SetMtime(outside() + "/secret.txt", 1000);
    before_ = SnapshotTree(outside());
  }

  std::string root() const { return tmp_.path(); }
  std::string dest(const std::string& p = "") const { return root() + "/dest" + (p.empty() ? "" : "/" + p); }
  std::string ctx(const std::string& p = "") const { return root() + "/ctx" + (p.empty() ? "" : "/" + p); }
  std::string stage(const std::string& p = "") const { return root() + "/stage" + (p.empty() ? "" : "/" + p); }
  std::string outside(const std::string& p = "") const { return root() + "/outside" + (p.empty() ? "" : "/" + p); }

  // Source 0 is ctx/ (owners as stored unless said), source 1 is stage/.
  // `ctx_excludes` plays the build context's .dockerignore.
  Result<void> Apply(std::vector<FileActionSpec> actions, FileActionOptions options = {},
                     SourceOwners ctx_owners = SourceOwners::kAsStored,
                     const cache::PathPatterns* ctx_excludes = nullptr) const {
    FileActionTrees trees;
    trees.dest = dest();
    trees.sources = {SourceTree{ctx(), ctx_owners, ctx_excludes},
                     SourceTree{stage(), SourceOwners::kAsStored, nullptr}};
    return ApplyFileActions(trees, actions, options);
  }

  // The sentinel is untouched, and its token is nowhere in the destination.
  void CheckOutsideUntouched() const {
    CHECK(SnapshotTree(outside()) == before_);
    CHECK(FilesContaining(dest(), kSecret).empty());
  }

 private:
  TempDir tmp_;
  std::map<std::string, std::string> before_;
};

// A COPY as the Dockerfile frontend lowers it from the build context (copy_lowering.cc).
inline CopySpec ContextCopy(std::string src, std::string dest) {
  CopySpec c;
  c.source = 0;
  c.src = std::move(src);
  c.dest = std::move(dest);
  c.follow_symlinks = true;
  c.copy_dir_contents = true;
  c.create_dest_path = true;
  c.allow_wildcard = true;
  c.allow_empty_wildcard = true;
  return c;
}

// The message of an error and its context lines, for CHECK_THAT on what users read.
inline std::string Describe(const Error& e) {
  std::string out = e.message;
  for (const std::string& c : e.context) out += " | " + c;
  return out;
}

// ---- tar archives, written with libarchive's pax writer ----

enum class EntryKind { kFile, kDir, kSymlink, kHardlink, kFifo };

struct TarEntry {
  std::string name;
  EntryKind kind = EntryKind::kFile;
  std::string content;
  std::string link;  // symlink or hard-link target
  mode_t perm = 0644;
  // The caller's own ids by default, so that extracting needs no CAP_CHOWN.
  int64_t uid = static_cast<int64_t>(::geteuid());
  int64_t gid = static_cast<int64_t>(::getegid());
  time_t mtime = 1000000000;
};

inline TarEntry TarFile(std::string name, std::string content, mode_t perm = 0644) {
  TarEntry e;
  e.name = std::move(name);
  e.content = std::move(content);
  e.perm = perm;
  return e;
}
inline TarEntry TarDir(std::string name, mode_t perm = 0755) {
  TarEntry e;
  e.name = std::move(name);
  e.kind = EntryKind::kDir;
  e.perm = perm;
  return e;
}
inline TarEntry TarSymlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.kind = EntryKind::kSymlink;
  e.link = std::move(target);
  e.perm = 0777;
  return e;
}
inline TarEntry TarHardlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.kind = EntryKind::kHardlink;
  e.link = std::move(target);
  return e;
}

enum class TarCompression { kNone, kGzip, kBzip2, kXz, kZstd };

inline void WriteTar(const std::string& path, const std::vector<TarEntry>& entries,
                     TarCompression compression = TarCompression::kNone) {
  fs::create_directories(fs::path(path).parent_path());
  struct archive* a = archive_write_new();
  REQUIRE(archive_write_set_format_pax_restricted(a) == ARCHIVE_OK);
  switch (compression) {
    case TarCompression::kNone: break;
    case TarCompression::kGzip: REQUIRE(archive_write_add_filter_gzip(a) == ARCHIVE_OK); break;
    case TarCompression::kBzip2: REQUIRE(archive_write_add_filter_bzip2(a) == ARCHIVE_OK); break;
    case TarCompression::kXz: REQUIRE(archive_write_add_filter_xz(a) == ARCHIVE_OK); break;
    case TarCompression::kZstd: REQUIRE(archive_write_add_filter_zstd(a) == ARCHIVE_OK); break;
  }
  REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
  for (const TarEntry& t : entries) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, t.mtime, 0);
    switch (t.kind) {
      case EntryKind::kFile: archive_entry_set_filetype(e, AE_IFREG); break;
      case EntryKind::kDir: archive_entry_set_filetype(e, AE_IFDIR); break;
      case EntryKind::kFifo: archive_entry_set_filetype(e, AE_IFIFO); break;
      case EntryKind::kSymlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, t.link.c_str());
        break;
      case EntryKind::kHardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, t.link.c_str());
        break;
    }
    archive_entry_set_perm(e, t.perm);
    archive_entry_set_size(e, t.kind == EntryKind::kFile ? static_cast<la_int64_t>(t.content.size()) : 0);
    REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
    if (t.kind == EntryKind::kFile && !t.content.empty()) {
      REQUIRE(archive_write_data(a, t.content.data(), t.content.size()) == static_cast<la_ssize_t>(t.content.size()));
    }
    archive_entry_free(e);
  }
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
}

}  // namespace bt::executor::test
