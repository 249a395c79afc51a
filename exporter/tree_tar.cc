#include "exporter/tree_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/unique_fd.h"
#include "cache/snapshot/chain_flatten.h"

namespace bt::exporter {
namespace {

constexpr std::size_t kChunk = 1 << 20;
constexpr std::string_view kOverlayPrefix = "trusted.overlay.";

struct ArchiveFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

Error ArchiveError(archive* a, std::string_view what) {
  const char* message = archive_error_string(a);
  return MakeError(ErrorCode::kIo, "write tar entry " + std::string(what) + ": " +
                                       (message != nullptr ? message : "unknown error"));
}

// The extended attributes of `path` (not following a final symlink), name -> value, sorted.
Result<std::map<std::string, std::string>> Xattrs(const std::string& path) {
  std::map<std::string, std::string> out;
  ssize_t size = ::llistxattr(path.c_str(), nullptr, 0);
  if (size < 0) {
    if (errno == ENOTSUP) return out;
    return ErrnoError("list xattrs of", path, errno);
  }
  if (size == 0) return out;
  std::string names(static_cast<std::size_t>(size), '\0');
  size = ::llistxattr(path.c_str(), names.data(), names.size());
  if (size < 0) return ErrnoError("list xattrs of", path, errno);
  names.resize(static_cast<std::size_t>(size));
  for (std::size_t pos = 0; pos < names.size();) {
    const std::string name = names.c_str() + pos;
    pos += name.size() + 1;
    if (name.empty()) continue;
    ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (n < 0) {
      if (errno == ENODATA) continue;  // removed meanwhile
      return ErrnoError("read xattr " + name + " of", path, errno);
    }
    std::string value(static_cast<std::size_t>(n), '\0');
    n = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (n < 0) return ErrnoError("read xattr " + name + " of", path, errno);
    value.resize(static_cast<std::size_t>(n));
    out.emplace(name, std::move(value));
  }
  return out;
}

class TarWalk {
 public:
  TarWalk(archive* a, std::string root, const TreeTarOptions& options)
      : a_(a), root_(std::move(root)), options_(options) {}

  Result<void> Dir(int fd, const std::string& rel) {
    BT_ASSIGN_OR_RETURN(const std::vector<std::string> names, cache::ListDirNames(fd, rel));
    for (const std::string& name : names) {
      const std::string child = rel.empty() ? name : rel + "/" + name;
      struct stat st;
      if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return ErrnoError("stat", child, errno);
      }
      if (S_ISSOCK(st.st_mode)) continue;
      if (options_.oci_whiteouts && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
        BT_TRY(Whiteout(rel, name, st));
        continue;
      }
      BT_TRY(Entry(fd, name, child, st));
      if (S_ISDIR(st.st_mode)) {
        UniqueFd sub(::openat(fd, name.c_str(),
                              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub.valid()) return ErrnoError("open", child, errno);
        BT_TRY(Dir(sub.get(), child));
      }
    }
    return {};
  }

 private:
  std::int64_t Clamp(std::int64_t seconds) const {
    return options_.clamp_mtime && seconds > *options_.clamp_mtime ? *options_.clamp_mtime
                                                                    : seconds;
  }

  void SetTimes(archive_entry* e, const struct stat& st) const {
    const std::int64_t sec = st.st_mtim.tv_sec;
    const std::int64_t clamped = Clamp(sec);
    archive_entry_set_mtime(e, clamped, clamped == sec ? st.st_mtim.tv_nsec : 0);
  }

  Result<void> Whiteout(const std::string& rel, const std::string& name, const struct stat& st) {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    const std::string path = (rel.empty() ? "" : rel + "/") + ".wh." + name;
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0);
    archive_entry_set_size(e.get(), 0);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    SetTimes(e.get(), st);
    if (archive_write_header(a_, e.get()) != ARCHIVE_OK) return ArchiveError(a_, path);
    return {};
  }

  Result<void> Entry(int dir_fd, const std::string& name, const std::string& rel,
                     const struct stat& st) {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    const std::string path = S_ISDIR(st.st_mode) ? rel + "/" : rel;
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_perm(e.get(), st.st_mode & 07777);
    archive_entry_set_uid(e.get(), st.st_uid);
    archive_entry_set_gid(e.get(), st.st_gid);
    SetTimes(e.get(), st);
    const std::string full = root_ + "/" + rel;
    BT_ASSIGN_OR_RETURN(const auto xattrs, Xattrs(full));
    bool opaque = false;
    for (const auto& [key, value] : xattrs) {
      if (key.rfind(kOverlayPrefix, 0) == 0) {
        // Overlay's own bookkeeping, never content (SECURITY: a tree must not smuggle it).
        opaque |= key == "trusted.overlay.opaque" && value == "y";
        continue;
      }
      archive_entry_xattr_add_entry(e.get(), key.c_str(), value.data(), value.size());
    }
    bool has_data = false;
    switch (st.st_mode & S_IFMT) {
      case S_IFDIR: archive_entry_set_filetype(e.get(), AE_IFDIR); break;
      case S_IFLNK: {
        std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
        const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
        if (n < 0) return ErrnoError("readlink", rel, errno);
        target.resize(static_cast<std::size_t>(n));
        archive_entry_set_filetype(e.get(), AE_IFLNK);
        archive_entry_set_symlink(e.get(), target.c_str());
        break;
      }
      case S_IFCHR:
      case S_IFBLK:
        archive_entry_set_filetype(e.get(), S_ISCHR(st.st_mode) ? AE_IFCHR : AE_IFBLK);
        archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
        archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
        break;
      case S_IFIFO: archive_entry_set_filetype(e.get(), AE_IFIFO); break;
      case S_IFREG: {
        if (st.st_nlink > 1) {
          const auto [it, first] = links_.emplace(std::make_pair(st.st_dev, st.st_ino), rel);
          if (!first) {
            archive_entry_set_filetype(e.get(), AE_IFREG);
            archive_entry_set_hardlink(e.get(), it->second.c_str());
            archive_entry_set_size(e.get(), 0);
            if (archive_write_header(a_, e.get()) != ARCHIVE_OK) return ArchiveError(a_, rel);
            return {};
          }
        }
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_size(e.get(), st.st_size);
        has_data = true;
        break;
      }
      default: return {};
    }
    UniqueFd data;
    if (has_data) {
      data = UniqueFd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!data.valid()) return ErrnoError("open", rel, errno);
    }
    if (archive_write_header(a_, e.get()) != ARCHIVE_OK) return ArchiveError(a_, rel);
    if (has_data) BT_TRY(CopyData(data.get(), rel, static_cast<std::uint64_t>(st.st_size)));
    if (opaque && options_.oci_whiteouts) {
      std::unique_ptr<archive_entry, EntryFree> wh(archive_entry_new());
      const std::string wh_path = rel + "/.wh..wh..opq";
      archive_entry_set_pathname(wh.get(), wh_path.c_str());
      archive_entry_set_filetype(wh.get(), AE_IFREG);
      archive_entry_set_perm(wh.get(), 0);
      archive_entry_set_size(wh.get(), 0);
      SetTimes(wh.get(), st);
      if (archive_write_header(a_, wh.get()) != ARCHIVE_OK) return ArchiveError(a_, wh_path);
    }
    return {};
  }

  // Exactly `size` bytes: a file that changed size while being written would corrupt the
  // stream, so it is an error instead.
  Result<void> CopyData(int fd, const std::string& rel, std::uint64_t size) {
    buffer_.resize(kChunk);
    std::uint64_t left = size;
    while (left > 0) {
      const ssize_t n = ::read(fd, buffer_.data(), std::min<std::uint64_t>(left, kChunk));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError("read", rel, errno);
      if (n == 0) return ErrnoError("read", rel, EIO).Wrap("the file shrank while it was written");
      if (archive_write_data(a_, buffer_.data(), static_cast<std::size_t>(n)) != n) {
        return ArchiveError(a_, rel);
      }
      left -= static_cast<std::uint64_t>(n);
    }
    return {};
  }

  archive* a_;
  std::string root_;
  const TreeTarOptions& options_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // first path of each linked inode
  std::vector<char> buffer_;
};

}  // namespace

Result<void> WriteTreeAsTar(const std::string& dir, int fd, const TreeTarOptions& options) {
  std::unique_ptr<archive, ArchiveFree> a(archive_write_new());
  if (!a) return MakeError(ErrorCode::kInternal, "allocate a tar writer");
  if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(a.get(), 10240) != ARCHIVE_OK ||
      archive_write_open_fd(a.get(), fd) != ARCHIVE_OK) {
    return ArchiveError(a.get(), "(open)");
  }
  UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return ErrnoError("open", dir, errno);
  TarWalk walk(a.get(), dir, options);
  BT_TRY(walk.Dir(root.get(), ""));
  if (archive_write_close(a.get()) != ARCHIVE_OK) return ArchiveError(a.get(), "(close)");
  return {};
}

}  // namespace bt::exporter
