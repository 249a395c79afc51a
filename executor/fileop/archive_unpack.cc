#include "executor/fileop/archive_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string_view>
#include <vector>

#include "cache/path_glob.h"
#include "executor/fileop/entry_ops.h"
#include "executor/fileop/path_error.h"

namespace bt::executor {
namespace {

constexpr size_t kReadBlock = 128 * 1024;
constexpr std::string_view kOverlayXattrPrefix = "trusted.overlay.";

struct ArchiveCloser {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveCloser>;

std::string ArchiveError(struct archive* a) {
  const char* s = archive_error_string(a);
  return s != nullptr ? s : "unknown error";
}

// A reader for tar only, with only the four filters docker's DecompressStream knows, all
// in-process: libarchive would otherwise be willing to run external programs.
Result<ArchivePtr> NewReader(int fd) {
  ArchivePtr a(archive_read_new());
  if (!a) return MakeError(ErrorCode::kInternal, "archive_read_new failed");
  if (archive_read_support_filter_gzip(a.get()) != ARCHIVE_OK ||
      archive_read_support_filter_bzip2(a.get()) != ARCHIVE_OK ||
      archive_read_support_filter_xz(a.get()) != ARCHIVE_OK ||
      archive_read_support_filter_zstd(a.get()) != ARCHIVE_OK ||
      archive_read_support_format_tar(a.get()) != ARCHIVE_OK) {
    return MakeError(ErrorCode::kInternal,
                     "libarchive lacks in-process gzip, bzip2, xz or zstd: " + ArchiveError(a.get()));
  }
  if (archive_read_open_fd(a.get(), fd, kReadBlock) != ARCHIVE_OK) {
    return MakeError(ErrorCode::kInvalidArgument, ArchiveError(a.get()));
  }
  return a;
}

// go-archive's boundTime: times before the epoch (or past Go's range) become the epoch.
struct timespec Bounded(int64_t sec, long nsec) {
  if (sec < 0) return timespec{0, 0};
  return timespec{static_cast<time_t>(sec), nsec};
}

struct DeferredDirTimes {
  std::string canonical;
  dev_t dev = 0;
  ino_t ino = 0;
  struct timespec times[2] = {};
};

class Unpacker {
 public:
  Unpacker(RootDir dest, const UnpackOptions& options) : dest_(std::move(dest)), options_(options) {}

  Result<void> Run(struct archive* a) {
    for (size_t index = 0;; ++index) {
      struct archive_entry* e = nullptr;
      const int r = archive_read_next_header(a, &e);
      if (r == ARCHIVE_EOF) break;
      if (r == ARCHIVE_RETRY) continue;
      if (r < ARCHIVE_WARN) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "read entry " + std::to_string(index) + ": " + ArchiveError(a)).Wrap(Context());
      }
      const char* name = archive_entry_pathname(e);
      if (name == nullptr) name = archive_entry_pathname_utf8(e);
      if (name == nullptr) {
        return MakeError(ErrorCode::kInvalidArgument, "an entry has no name").Wrap(Context());
      }
      auto done = Entry(a, e, name);
      if (!done) return std::move(done).error().Wrap(Context());
    }
    auto times = ApplyDeferredTimes();
    if (!times) return std::move(times).error().Wrap(Context());
    return {};
  }

 private:
  std::string Context() const { return "unpack " + options_.shown_archive + " into " + options_.shown_dest; }

  Error EntryError(std::string_view raw, std::string_view why) const {
    return MakeError(ErrorCode::kInvalidArgument, "entry \"" + std::string(raw) + "\" " + std::string(why));
  }

  // The entry's path inside the destination: cleaned as go-archive's filepath.Clean, an
  // absolute name taken from the destination (the chroot), ".." refused. "" is the root.
  Result<std::string> InRootName(std::string_view raw, std::string_view entry, std::string_view what) const {
    std::string clean = cache::CleanSlashPath(raw);
    if (clean == ".." || clean.starts_with("../")) {
      return EntryError(entry, std::string(what) + " is outside of " + options_.shown_dest);
    }
    size_t skip = 0;
    while (skip < clean.size() && clean[skip] == '/') ++skip;
    clean.erase(0, skip);
    if (clean == ".") clean.clear();
    return clean;
  }

  Result<void> Entry(struct archive* a, struct archive_entry* e, const std::string& raw) {
    BT_ASSIGN_OR_RETURN(std::string name, InRootName(raw, raw, "name"));
    if (name.empty()) return {};  // "." is the destination itself: its metadata stays
    auto [raw_parent, base] = SplitCanonical(name);
    BT_ASSIGN_OR_RETURN(std::string parent, dest_.Resolve(raw_parent, cache::FinalComponent::kFollow));
    // Implied directories, as go-archive's createImpliedDirectories makes them.
    BT_TRY(dest_.MkdirAll(parent, NewDirs{0755, std::nullopt, std::nullopt}, nullptr));
    BT_ASSIGN_OR_RETURN(UniqueFd dir, dest_.OpenDir(parent));
    const std::string canonical = parent.empty() ? base : parent + "/" + base;
    const EntryRef ref{dir.get(), base, dest_.ShownPath(name)};

    const char* hardlink = archive_entry_hardlink(e);
    if (hardlink == nullptr) hardlink = archive_entry_hardlink_utf8(e);
    const mode_t type = hardlink != nullptr ? 0 : archive_entry_filetype(e);

    struct stat existing;
    if (::fstatat(dir.get(), base.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0 &&
        !(S_ISDIR(existing.st_mode) && type == AE_IFDIR)) {
      BT_TRY(RemoveEntry(ref));
    }

    UniqueFd fd;  // the entry, when it is a file or directory we opened
    if (hardlink != nullptr) {
      BT_TRY(Link(raw, hardlink, ref));
    } else if (type == AE_IFDIR) {
      if (::mkdirat(dir.get(), base.c_str(), 0700) != 0 && errno != EEXIST) return PathError("mkdir", ref.shown, errno);
      const int d = ::openat(dir.get(), base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (d < 0) return PathError("open", ref.shown, errno);
      fd.Reset(d);
    } else if (type == AE_IFREG) {
      const int f = ::openat(dir.get(), base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (f < 0) return PathError("create", ref.shown, errno);
      fd.Reset(f);
      BT_TRY(WriteData(a, e, fd.get(), ref.shown));
    } else if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(e);
      if (target == nullptr) target = archive_entry_symlink_utf8(e);
      if (target == nullptr) return EntryError(raw, "is a symlink without a target");
      // Stored verbatim; only ever followed in-root.
      if (::symlinkat(target, dir.get(), base.c_str()) != 0) return PathError("symlink", ref.shown, errno);
    } else if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO) {
      if (::mknodat(dir.get(), base.c_str(), type | 0600, archive_entry_rdev(e)) != 0) {
        return PathError("mknod", ref.shown, errno);
      }
    } else if (type == AE_IFSOCK) {
      return {};  // tar cannot carry a socket's content; go-archive has no such type either
    } else {
      return EntryError(raw, "has an unhandled type");
    }
    return Metadata(e, ref, fd.get(), type, canonical);
  }

  Result<void> Link(const std::string& raw, const char* target_raw, const EntryRef& ref) {
    BT_ASSIGN_OR_RETURN(std::string target, InRootName(target_raw, raw, std::string("hard link target \"") + target_raw + "\""));
    BT_ASSIGN_OR_RETURN(std::string canonical, dest_.Resolve(target, cache::FinalComponent::kNoFollow));
    if (canonical.empty()) return EntryError(raw, "is a hard link to the destination directory");
    auto [parent, base] = SplitCanonical(canonical);
    auto dir = dest_.OpenDir(parent);
    if (!dir) return EntryError(raw, std::string("links to \"") + target_raw + "\", which is not in the archive's destination");
    if (::linkat(dir->get(), base.c_str(), ref.dir_fd, ref.name.c_str(), 0) != 0) {
      if (errno == ENOENT) {
        return EntryError(raw, std::string("links to \"") + target_raw + "\", which is not in the archive's destination");
      }
      return PathError("link", ref.shown, errno);
    }
    return {};
  }

  Result<void> WriteData(struct archive* a, struct archive_entry* e, int fd, const std::string& shown) {
    int64_t end = 0;
    for (;;) {
      const void* buf = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      const int r = archive_read_data_block(a, &buf, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) {
        return MakeError(ErrorCode::kInvalidArgument, "read " + shown + ": " + ArchiveError(a));
      }
      const char* p = static_cast<const char*>(buf);
      while (size > 0) {
        const ssize_t n = ::pwrite(fd, p, size, offset);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return PathError("write", shown, errno);
        p += n;
        size -= static_cast<size_t>(n);
        offset += n;
      }
      end = std::max<int64_t>(end, offset);
    }
    // A sparse file may end in a hole.
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > end && ::ftruncate(fd, archive_entry_size(e)) != 0) {
      return PathError("truncate", shown, errno);
    }
    return {};
  }

  // go-archive createTarFile's order: owner, xattrs, mode (after the chown that clears
  // setuid), times (directories' deferred to the end).
  // `type` is 0 for a hard link.
  Result<void> Metadata(struct archive_entry* e, const EntryRef& ref, int fd, mode_t type,
                        const std::string& canonical) {
    const bool is_hardlink = type == 0;
    UidGid owner;
    if (options_.owner) {
      owner = *options_.owner;
    } else {
      const int64_t uid = archive_entry_uid(e);
      const int64_t gid = archive_entry_gid(e);
      if (uid < 0 || uid >= UINT32_MAX || gid < 0 || gid >= UINT32_MAX) {
        return EntryError(ref.shown, "has a uid or gid out of range");
      }
      owner = UidGid{static_cast<uid_t>(uid), static_cast<gid_t>(gid)};
    }
    BT_TRY(SetOwner(ref, fd, owner));
    BT_TRY(SetXattrs(e, ref, fd));

    struct stat st;
    if (::fstatat(ref.dir_fd, ref.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return PathError("lstat", ref.shown, errno);
    const bool is_symlink = S_ISLNK(st.st_mode);  // also a hard link to a symlink
    if (!is_symlink) BT_TRY(SetMode(ref, fd, archive_entry_perm(e) & 07777));

    const struct timespec mtime = Bounded(archive_entry_mtime(e), archive_entry_mtime_nsec(e));
    struct timespec atime = mtime;
    if (archive_entry_atime_is_set(e)) {
      const struct timespec a = Bounded(archive_entry_atime(e), archive_entry_atime_nsec(e));
      if (a.tv_sec > mtime.tv_sec || (a.tv_sec == mtime.tv_sec && a.tv_nsec > mtime.tv_nsec)) atime = a;
    }
    if (type == AE_IFDIR && !is_hardlink) {
      deferred_.push_back(DeferredDirTimes{canonical, st.st_dev, st.st_ino, {atime, mtime}});
      return {};
    }
    if (is_hardlink && is_symlink) return {};  // go-archive sets no times through a link to a symlink
    return SetTimes(ref, fd, atime, mtime);
  }

  Result<void> SetXattrs(struct archive_entry* e, const EntryRef& ref, int fd) {
    archive_entry_xattr_reset(e);
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    std::vector<std::string> seen;  // pax archives may carry each xattr twice (LIBARCHIVE., SCHILY.)
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      if (name == nullptr || std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
      seen.emplace_back(name);
      if (std::string_view(name).starts_with(kOverlayXattrPrefix)) continue;
      const int r = fd >= 0 ? ::fsetxattr(fd, name, value, size, 0)
                            : ::lsetxattr(ProcPath(ref).c_str(), name, value, size, 0);
      // BestEffortXattrs: a file system (or a symlink) that refuses the name is skipped.
      if (r != 0 && errno != ENOTSUP && errno != EPERM) {
        return PathError(std::string("lsetxattr ") + name + " on", ref.shown, errno);
      }
    }
    return {};
  }

  Result<void> ApplyDeferredTimes() {
    for (const DeferredDirTimes& d : deferred_) {
      // Only the directory this extraction made or merged into: a later entry may have
      // replaced it by something else.
      auto dir = dest_.OpenDir(d.canonical);
      if (!dir) continue;
      struct stat st;
      if (::fstat(dir->get(), &st) != 0 || st.st_dev != d.dev || st.st_ino != d.ino) continue;
      if (::futimens(dir->get(), d.times) != 0) {
        return PathError("utime", dest_.ShownPath(d.canonical), errno);
      }
    }
    return {};
  }

  RootDir dest_;
  const UnpackOptions& options_;
  std::vector<DeferredDirTimes> deferred_;
};

}  // namespace

Result<bool> IsTarArchive(int fd) {
  auto a = NewReader(fd);
  if (!a) {
    if (a.error().code == ErrorCode::kInvalidArgument) return false;  // no filter or format fits
    return Unexpected(std::move(a).error());
  }
  struct archive_entry* e = nullptr;
  const int r = archive_read_next_header(a->get(), &e);
  return r == ARCHIVE_OK || r == ARCHIVE_WARN;
}

Result<void> UnpackTar(int archive_fd, int dest_dir_fd, const UnpackOptions& options) {
  const int dup = ::fcntl(dest_dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return PathError("dup", options.shown_dest, errno);
  RootDir dest{UniqueFd(dup), options.shown_dest};
  auto a = NewReader(archive_fd);
  if (!a) return std::move(a).error().Wrap("unpack " + options.shown_archive);
  Unpacker unpacker(std::move(dest), options);
  return unpacker.Run(a->get());
}

}  // namespace bt::executor
