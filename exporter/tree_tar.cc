#include "exporter/tree_tar.h"

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
#include "exporter/tar_writer.h"

namespace bt::exporter {
namespace {

constexpr std::size_t kChunk = 1 << 20;
constexpr std::string_view kOverlayPrefix = "trusted.overlay.";

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
  TarWalk(TarWriter& tar, std::string root, const TreeTarOptions& options)
      : tar_(tar), root_(std::move(root)), options_(options) {}

  std::uint64_t entries() const { return entries_; }

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
  // Seconds only, as containerd writes layers (it truncates: Go would round); clamped to
  // SOURCE_DATE_EPOCH when asked.
  std::int64_t Mtime(const struct stat& st) const {
    const std::int64_t sec = st.st_mtim.tv_sec;
    return options_.clamp_mtime && sec > *options_.clamp_mtime ? *options_.clamp_mtime : sec;
  }

  Result<void> Whiteout(const std::string& rel, const std::string& name, const struct stat& st) {
    TarEntry e;
    e.path = (rel.empty() ? "" : rel + "/") + ".wh." + name;
    e.type = TarType::kRegular;
    e.mtime_sec = Mtime(st);
    return Header(e);
  }

  Result<void> Entry(int dir_fd, const std::string& name, const std::string& rel,
                     const struct stat& st) {
    TarEntry e;
    e.path = S_ISDIR(st.st_mode) ? rel + "/" : rel;
    e.mode = st.st_mode & 07777;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    e.mtime_sec = Mtime(st);
    const std::string full = root_ + "/" + rel;
    BT_ASSIGN_OR_RETURN(const auto xattrs, Xattrs(full));
    bool opaque = false;
    for (const auto& [key, value] : xattrs) {
      if (key.rfind(kOverlayPrefix, 0) == 0) {
        // Overlay's own bookkeeping, never content (SECURITY: a tree must not smuggle it).
        opaque |= key == "trusted.overlay.opaque" && value == "y";
        continue;
      }
      e.xattrs.emplace_back(key, value);
    }
    bool has_data = false;
    switch (st.st_mode & S_IFMT) {
      case S_IFDIR: e.type = TarType::kDirectory; break;
      case S_IFLNK: {
        std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
        const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target.data(), target.size());
        if (n < 0) return ErrnoError("readlink", rel, errno);
        target.resize(static_cast<std::size_t>(n));
        e.type = TarType::kSymlink;
        e.link_target = std::move(target);
        break;
      }
      case S_IFCHR:
      case S_IFBLK:
        e.type = S_ISCHR(st.st_mode) ? TarType::kCharDevice : TarType::kBlockDevice;
        e.dev_major = major(st.st_rdev);
        e.dev_minor = minor(st.st_rdev);
        break;
      case S_IFIFO: e.type = TarType::kFifo; break;
      case S_IFREG: {
        if (st.st_nlink > 1) {
          const auto [it, first] = links_.emplace(std::make_pair(st.st_dev, st.st_ino), rel);
          if (!first) {
            e.type = TarType::kHardLink;
            e.link_target = it->second;
            return Header(e);
          }
        }
        e.type = TarType::kRegular;
        e.size = static_cast<std::uint64_t>(st.st_size);
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
    if (Result<void> r = Header(e); !r) {
      return std::move(r).error().Wrap("write tar entry " + rel);
    }
    if (has_data) BT_TRY(CopyData(data.get(), rel, e.size));
    if (opaque && options_.oci_whiteouts) {
      TarEntry wh;
      wh.path = rel + "/.wh..wh..opq";
      wh.type = TarType::kRegular;
      wh.mtime_sec = Mtime(st);
      BT_TRY(Header(wh));
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
      BT_TRY(tar_.WriteData(std::string_view(buffer_.data(), static_cast<std::size_t>(n))));
      left -= static_cast<std::uint64_t>(n);
    }
    return {};
  }

  Result<void> Header(const TarEntry& e) {
    ++entries_;
    return tar_.WriteHeader(e);
  }

  TarWriter& tar_;
  std::uint64_t entries_ = 0;
  std::string root_;
  const TreeTarOptions& options_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // first path of each linked inode
  std::vector<char> buffer_;
};

}  // namespace

Result<std::uint64_t> WriteTreeToTar(const std::string& dir, TarSink& sink,
                                     const TreeTarOptions& options) {
  UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return ErrnoError("open", dir, errno);
  TarWriter tar(sink);
  TarWalk walk(tar, dir, options);
  BT_TRY(walk.Dir(root.get(), ""));
  BT_TRY(tar.Finish());
  return walk.entries();
}

Result<void> WriteTreeAsTar(const std::string& dir, int fd, const TreeTarOptions& options) {
  FdTarSink sink(fd);
  BT_TRY(WriteTreeToTar(dir, sink, options));
  return sink.Flush();
}

}  // namespace bt::exporter
