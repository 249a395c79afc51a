#include "cache/snapshot/layer_apply.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.h"
#include "cache/snapshot/in_root_path.h"

namespace bt::cache {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr const char* kOpaqueXattr = "trusted.overlay.opaque";
constexpr std::string_view kOverlayXattrPrefix = "trusted.overlay.";
constexpr size_t kReadBlockSize = 128 * 1024;
constexpr size_t kCopyBufferSize = 128 * 1024;

struct ArchiveCloser {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveCloser>;

Error EntryError(ErrorCode code, std::string_view entry, std::string_view why) {
  std::string msg = "layer entry \"";
  msg.append(entry).append("\": ").append(why);
  return MakeError(code, std::move(msg));
}

Error EntryErrno(std::string_view entry, std::string_view op, int err) {
  Error e = ErrnoError(op, std::string("\"").append(entry).append("\""), err);
  e.message = "layer entry " + e.message;
  if (err == EPERM || err == EACCES) e.code = ErrorCode::kPermissionDenied;
  return e;
}

// "./a//b/" -> "a/b". Absolute names and `..` components are refused (SECURITY.md decision
// 1: refused, not clamped); "" means the root itself.
Result<std::string> CleanName(std::string_view raw, std::string_view what, std::string_view entry) {
  if (!raw.empty() && raw[0] == '/') {
    return EntryError(ErrorCode::kInvalidArgument, entry,
                      std::string(what) + " is an absolute path; layers hold relative paths");
  }
  std::string out;
  for (std::string_view part : SplitPath(raw)) {
    if (part == "..") {
      return EntryError(ErrorCode::kInvalidArgument, entry,
                        std::string(what) + " contains \"..\" and could leave the root");
    }
    if (!out.empty()) out += '/';
    out.append(part);
  }
  return out;
}

std::pair<std::string, std::string> SplitParent(const std::string& clean) {
  size_t slash = clean.rfind('/');
  if (slash == std::string::npos) return {"", clean};
  return {clean.substr(0, slash), clean.substr(slash + 1)};
}

std::string ProcPath(int dir_fd, std::string_view name = {}) {
  std::string p = "/proc/self/fd/" + std::to_string(dir_fd);
  if (!name.empty()) p.append("/").append(name);
  return p;
}

bool IsWhiteoutStat(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == 0; }

Result<void> RemoveTreeAt(int dir_fd, const std::string& name);

Result<void> RemoveChildren(int dir_fd) {
  int dup_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return ErrnoError("dup", "directory", errno);
  DIR* dir = ::fdopendir(dup_fd);
  if (dir == nullptr) {
    ::close(dup_fd);
    return ErrnoError("opendir", "directory", errno);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, ::closedir);
  std::vector<std::string> names;
  while (struct dirent* d = ::readdir(dir)) {
    if (std::strcmp(d->d_name, ".") != 0 && std::strcmp(d->d_name, "..") != 0) {
      names.emplace_back(d->d_name);
    }
  }
  for (const std::string& n : names) BT_TRY(RemoveTreeAt(dir_fd, n));
  return {};
}

// Removes `name` in dir_fd, recursively for a directory; never follows a symlink.
Result<void> RemoveTreeAt(int dir_fd, const std::string& name) {
  if (::unlinkat(dir_fd, name.c_str(), 0) == 0) return {};
  if (errno != EISDIR && errno != EPERM) return ErrnoError("remove", name, errno);
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", name, errno);
  UniqueFd child(fd);
  BT_TRY(RemoveChildren(child.get()));
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0) return ErrnoError("remove", name, errno);
  return {};
}

Result<void> CheckEmpty(int dir_fd) {
  int dup_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return ErrnoError("dup", "diff directory", errno);
  DIR* dir = ::fdopendir(dup_fd);
  if (dir == nullptr) {
    ::close(dup_fd);
    return ErrnoError("opendir", "diff directory", errno);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, ::closedir);
  while (struct dirent* d = ::readdir(dir)) {
    if (std::strcmp(d->d_name, ".") != 0 && std::strcmp(d->d_name, "..") != 0) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       std::string("apply layer: diff directory is not empty (holds \"") +
                           d->d_name + "\")");
    }
  }
  return {};
}

// A directory whose times are set after all entries, since creating its children changes
// them. It is re-opened in-root without following links and must still be the same inode.
struct DeferredDirTimes {
  std::string canonical;
  dev_t dev;
  ino_t ino;
  struct timespec times[2];
};

class Applier {
 public:
  Applier(int diff_fd, std::span<const int> lower_fds, const ApplyOptions& options)
      : diff_fd_(diff_fd), view_(MakeLayers(diff_fd, lower_fds)), options_(options) {}

  Result<ApplyStats> Run(struct archive* a);

 private:
  static std::vector<int> MakeLayers(int diff_fd, std::span<const int> lowers) {
    std::vector<int> layers{diff_fd};
    layers.insert(layers.end(), lowers.begin(), lowers.end());
    return layers;
  }

  Result<void> ApplyEntry(struct archive* a, struct archive_entry* e, const std::string& raw);
  Result<void> ApplyWhiteout(const std::string& raw, int parent_fd, std::string_view base);
  Result<void> ApplyOpaque(const std::string& raw, int parent_fd);
  Result<void> ApplyDirectory(struct archive_entry* e, const std::string& raw,
                              const std::string& canonical, int parent_fd, const std::string& base);
  Result<void> ApplyRegular(struct archive* a, struct archive_entry* e, const std::string& raw,
                            int parent_fd, const std::string& base);
  Result<void> ApplyHardlink(struct archive_entry* e, const std::string& raw, int parent_fd,
                             const std::string& base);
  Result<void> ApplyMetadata(struct archive_entry* e, const std::string& raw, int parent_fd,
                             const std::string& base, int fd);

  // The diff-side directory for an entry's raw parent path, resolved in the merged view and
  // created (copied up) in the diff as needed; its canonical path is left in
  // cached_canonical_parent_. Borrowed; valid until the next call.
  Result<int> ParentDir(const std::string& raw, const std::string& raw_parent);
  // Opens (creating, with copy-up from the parents) the canonical directory in the diff.
  Result<UniqueFd> MaterializeDir(const std::string& canonical);
  // Copies the parents' entry at `canonical` into the diff (for a hard link to it).
  Result<void> CopyUp(const std::string& raw, const std::string& canonical, const LayerView::Entry& from);
  Result<void> CopyXattrs(int from_fd, int to_fd, const std::string& what);
  // Removes what the diff holds at parent_fd/base unless it is a directory and keep_dir.
  Result<bool> ClearForNew(const std::string& raw, int parent_fd, const std::string& base,
                           bool new_is_dir);
  Result<void> ApplyDeferredTimes();
  void Invalidate() { cache_valid_ = false; }

  int diff_fd_;
  LayerView view_;
  const ApplyOptions& options_;
  ApplyStats stats_;
  std::vector<DeferredDirTimes> deferred_;
  // The last parent looked up: raw parent path -> diff directory. Any removal in the diff may
  // change what a path resolves to, so removals clear cache_valid_.
  std::string cached_raw_parent_;
  std::string cached_canonical_parent_;  // what cached_raw_parent_ resolved to
  UniqueFd cached_parent_fd_;
  bool cache_valid_ = false;
};

Result<ApplyStats> Applier::Run(struct archive* a) {
  BT_TRY(CheckEmpty(diff_fd_));
  for (;;) {
    struct archive_entry* e = nullptr;
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r == ARCHIVE_RETRY) continue;
    if (r < ARCHIVE_WARN) {
      return MakeError(ErrorCode::kDataLoss,
                       std::string("read layer after ") + std::to_string(stats_.entries) +
                           " entries: " + (archive_error_string(a) ? archive_error_string(a) : "?"));
    }
    ++stats_.entries;
    if (options_.max_entries != 0 && stats_.entries > options_.max_entries) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "apply layer: more than " + std::to_string(options_.max_entries) + " entries");
    }
    const char* name = archive_entry_pathname(e);
    if (name == nullptr) name = archive_entry_pathname_utf8(e);
    if (name == nullptr) return MakeError(ErrorCode::kDataLoss, "read layer: an entry has no name");
    std::string raw(name);
    if (auto applied = ApplyEntry(a, e, raw); !applied) return Unexpected(std::move(applied).error());
  }
  BT_TRY(ApplyDeferredTimes());
  return stats_;
}

Result<void> Applier::ApplyEntry(struct archive* a, struct archive_entry* e, const std::string& raw) {
  BT_ASSIGN_OR_RETURN(std::string clean, CleanName(raw, "name", raw));
  if (clean.empty()) return {};  // the root itself; containerd ignores it too
  auto [raw_parent, base] = SplitParent(clean);

  std::string_view b = base;
  if (b.starts_with(kWhiteoutPrefix)) {
    BT_ASSIGN_OR_RETURN(int pfd, ParentDir(raw, raw_parent));
    if (b == kOpaqueMarker) return ApplyOpaque(raw, pfd);
    if (b.starts_with(kWhiteoutMetaPrefix)) return {};  // aufs metadata (.wh..wh.plnk): skipped
    return ApplyWhiteout(raw, pfd, b.substr(kWhiteoutPrefix.size()));
  }
  BT_ASSIGN_OR_RETURN(int pfd, ParentDir(raw, raw_parent));
  if (archive_entry_hardlink(e) != nullptr) return ApplyHardlink(e, raw, pfd, base);

  const mode_t type = archive_entry_filetype(e);
  if (type == AE_IFDIR) {
    const std::string& canonical_parent = cached_canonical_parent_;
    std::string canonical = canonical_parent.empty() ? base : canonical_parent + "/" + base;
    return ApplyDirectory(e, raw, canonical, pfd, base);
  }
  if (type == AE_IFREG) return ApplyRegular(a, e, raw, pfd, base);
  if (type == AE_IFLNK) {
    const char* target = archive_entry_symlink(e);
    if (target == nullptr) target = archive_entry_symlink_utf8(e);
    if (target == nullptr) return EntryError(ErrorCode::kDataLoss, raw, "symlink without a target");
    BT_TRY(ClearForNew(raw, pfd, base, false));
    if (::symlinkat(target, pfd, base.c_str()) != 0) return EntryErrno(raw, "symlink", errno);
    return ApplyMetadata(e, raw, pfd, base, -1);
  }
  if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO) {
    BT_TRY(ClearForNew(raw, pfd, base, false));
    if (::mknodat(pfd, base.c_str(), type | 0600, archive_entry_rdev(e)) != 0) {
      Error err = EntryErrno(raw, "mknod", errno);
      if (err.code == ErrorCode::kPermissionDenied) err.message += " (device nodes need CAP_MKNOD)";
      return err;
    }
    return ApplyMetadata(e, raw, pfd, base, -1);
  }
  if (type == AE_IFSOCK) return {};  // a socket cannot be recreated from a tar; tar skips it too
  return EntryError(ErrorCode::kDataLoss, raw, "unknown file type");
}

Result<int> Applier::ParentDir(const std::string& raw, const std::string& raw_parent) {
  if (cache_valid_ && raw_parent == cached_raw_parent_) return cached_parent_fd_.get();
  auto canonical = view_.Resolve(raw_parent, FinalComponent::kFollow);
  if (!canonical) return std::move(canonical).error().Wrap("layer entry \"" + raw + "\"");
  auto fd = MaterializeDir(*canonical);
  if (!fd) return std::move(fd).error().Wrap("layer entry \"" + raw + "\"");
  cached_parent_fd_ = std::move(*fd);
  cached_raw_parent_ = raw_parent;
  cached_canonical_parent_ = std::move(*canonical);
  cache_valid_ = true;
  return cached_parent_fd_.get();
}

Result<UniqueFd> Applier::MaterializeDir(const std::string& canonical) {
  InRootOpenOptions open_dir;
  open_dir.flags = O_RDONLY | O_DIRECTORY;
  open_dir.final_component = FinalComponent::kNoFollow;
  open_dir.symlinks = SymlinkPolicy::kRefuse;
  auto fast = OpenInRoot(diff_fd_, canonical, open_dir);
  if (fast || (fast.error().sys_errno != ENOENT && fast.error().sys_errno != ENOTDIR)) return fast;

  // Slow path: walk and create. canonical has no symlinks and no `..` in the merged view, so
  // each component is opened with O_NOFOLLOW relative to the one before.
  int cur_raw = ::fcntl(diff_fd_, F_DUPFD_CLOEXEC, 0);
  if (cur_raw < 0) return ErrnoError("dup", "diff directory", errno);
  UniqueFd cur(cur_raw);
  std::string prefix;
  for (std::string_view part : SplitPath(canonical)) {
    const std::string name(part);
    prefix = prefix.empty() ? name : prefix + "/" + name;
    int fd = ::openat(cur.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      cur.Reset(fd);
      continue;
    }
    if (errno != ENOENT && errno != ENOTDIR) return ErrnoError("open", prefix, errno);
    bool replaced_whiteout = false;
    if (errno == ENOTDIR) {
      struct stat st;
      if (::fstatat(cur.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !IsWhiteoutStat(st)) {
        return MakeError(ErrorCode::kInvalidArgument, "parent " + prefix + " is not a directory");
      }
      if (::unlinkat(cur.get(), name.c_str(), 0) != 0) return ErrnoError("remove whiteout", prefix, errno);
      Invalidate();
      replaced_whiteout = true;
    }
    // Copy-up: a directory the parents hold keeps their metadata, as overlayfs would.
    std::optional<LayerView::Entry> lower;
    if (!replaced_whiteout) {
      BT_ASSIGN_OR_RETURN(lower, view_.Lookup(prefix));
      if (lower && !S_ISDIR(lower->st.st_mode)) {
        return MakeError(ErrorCode::kInvalidArgument, "parent " + prefix + " is not a directory");
      }
    }
    if (::mkdirat(cur.get(), name.c_str(), 0755) != 0) return ErrnoError("mkdir", prefix, errno);
    fd = ::openat(cur.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open", prefix, errno);
    UniqueFd created(fd);
    if (replaced_whiteout &&
        ::fsetxattr(created.get(), kOpaqueXattr, "y", 1, 0) != 0) {
      return ErrnoError("set opaque on", prefix, errno);
    }
    if (lower && lower->layer > 0 && S_ISDIR(lower->st.st_mode)) {
      const struct stat& st = lower->st;
      if (options_.ownership == OwnershipPolicy::kFromArchive &&
          ::fchown(created.get(), st.st_uid, st.st_gid) != 0) {
        return ErrnoError("chown", prefix, errno);
      }
      if (::fchmod(created.get(), st.st_mode & 07777) != 0) return ErrnoError("chmod", prefix, errno);
      InRootOpenOptions open_lower;
      open_lower.flags = O_PATH | O_DIRECTORY;
      open_lower.final_component = FinalComponent::kNoFollow;
      open_lower.symlinks = SymlinkPolicy::kRefuse;
      BT_ASSIGN_OR_RETURN(UniqueFd from, OpenInRoot(view_.layer_fds()[lower->layer], prefix, open_lower));
      BT_TRY(CopyXattrs(from.get(), created.get(), prefix));
      deferred_.push_back({prefix, 0, 0, {st.st_atim, st.st_mtim}});
      struct stat now;
      if (::fstat(created.get(), &now) == 0) {
        deferred_.back().dev = now.st_dev;
        deferred_.back().ino = now.st_ino;
      }
    }
    cur = std::move(created);
  }
  return cur;
}

Result<void> Applier::CopyXattrs(int from_fd, int to_fd, const std::string& what) {
  const std::string from = ProcPath(from_fd);
  ssize_t len = ::llistxattr(from.c_str(), nullptr, 0);
  if (len <= 0) return {};
  std::string names(len, '\0');
  len = ::llistxattr(from.c_str(), names.data(), names.size());
  if (len < 0) return ErrnoError("list xattrs of", what, errno);
  names.resize(len);
  std::string value;
  for (size_t pos = 0; pos < names.size();) {
    const std::string name(names.c_str() + pos);
    pos += name.size() + 1;
    if (std::string_view(name).starts_with(kOverlayXattrPrefix)) continue;
    ssize_t n = ::lgetxattr(from.c_str(), name.c_str(), nullptr, 0);
    if (n < 0) continue;
    value.resize(n);
    n = ::lgetxattr(from.c_str(), name.c_str(), value.data(), value.size());
    if (n < 0) continue;
    if (::fsetxattr(to_fd, name.c_str(), value.data(), n, 0) != 0 && errno != ENOTSUP) {
      return ErrnoError("copy xattr " + name + " to", what, errno);
    }
  }
  return {};
}

Result<bool> Applier::ClearForNew(const std::string& raw, int parent_fd, const std::string& base,
                                  bool new_is_dir) {
  struct stat st;
  if (::fstatat(parent_fd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return false;
    return EntryErrno(raw, "stat", errno);
  }
  if (new_is_dir && S_ISDIR(st.st_mode)) return true;
  auto removed = RemoveTreeAt(parent_fd, base);
  if (!removed) return std::move(removed).error().Wrap("layer entry \"" + raw + "\"");
  Invalidate();
  return false;
}

Result<void> Applier::ApplyWhiteout(const std::string& raw, int parent_fd, std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos) {
    return EntryError(ErrorCode::kInvalidArgument, raw, "invalid whiteout name");
  }
  ++stats_.whiteouts;
  const std::string target(name);
  struct stat st;
  if (::fstatat(parent_fd, target.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    // A whiteout hides the parents only: what this layer added itself stays (OCI image
    // spec, layer.md "Whiteouts"), and a second whiteout is a no-op.
    return {};
  }
  if (errno != ENOENT) return EntryErrno(raw, "stat", errno);
  if (::mknodat(parent_fd, target.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0) {
    Error err = EntryErrno(raw, "create whiteout", errno);
    if (err.code == ErrorCode::kPermissionDenied) {
      err.message += " (an overlay whiteout is a char device 0:0; before Linux 5.8 it needs CAP_MKNOD)";
    }
    return err;
  }
  return {};
}

Result<void> Applier::ApplyOpaque(const std::string& raw, int parent_fd) {
  ++stats_.opaque_dirs;
  if (::fsetxattr(parent_fd, kOpaqueXattr, "y", 1, 0) != 0) {
    Error err = EntryErrno(raw, "set trusted.overlay.opaque", errno);
    if (err.code == ErrorCode::kPermissionDenied) err.message += " (trusted.* xattrs need CAP_SYS_ADMIN)";
    return err;
  }
  return {};
}

Result<void> Applier::ApplyDirectory(struct archive_entry* e, const std::string& raw,
                                     const std::string& canonical, int parent_fd,
                                     const std::string& base) {
  struct stat st;
  bool was_whiteout = ::fstatat(parent_fd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                      IsWhiteoutStat(st);
  BT_ASSIGN_OR_RETURN(bool exists, ClearForNew(raw, parent_fd, base, true));
  if (!exists && ::mkdirat(parent_fd, base.c_str(), 0700) != 0) return EntryErrno(raw, "mkdir", errno);
  int fd = ::openat(parent_fd, base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return EntryErrno(raw, "open", errno);
  UniqueFd dir(fd);
  // A directory that replaces this layer's own whiteout must not show the parents' content.
  if (was_whiteout && ::fsetxattr(dir.get(), kOpaqueXattr, "y", 1, 0) != 0) {
    return EntryErrno(raw, "set trusted.overlay.opaque", errno);
  }
  BT_TRY(ApplyMetadata(e, raw, parent_fd, base, dir.get()));
  if (archive_entry_mtime_is_set(e)) {
    if (::fstat(dir.get(), &st) != 0) return EntryErrno(raw, "stat", errno);
    DeferredDirTimes d{canonical, st.st_dev, st.st_ino, {}};
    d.times[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
    d.times[0] = archive_entry_atime_is_set(e)
                     ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)}
                     : d.times[1];
    deferred_.push_back(std::move(d));
  }
  return {};
}

Result<void> Applier::ApplyRegular(struct archive* a, struct archive_entry* e, const std::string& raw,
                                   int parent_fd, const std::string& base) {
  BT_TRY(ClearForNew(raw, parent_fd, base, false));
  int fd = ::openat(parent_fd, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return EntryErrno(raw, "create", errno);
  UniqueFd file(fd);
  int64_t end = 0;
  for (;;) {
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(a, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      return EntryError(ErrorCode::kDataLoss, raw,
                        std::string("read data: ") + (archive_error_string(a) ? archive_error_string(a) : "?"));
    }
    stats_.bytes += size;
    if (options_.max_bytes != 0 && stats_.bytes > options_.max_bytes) {
      return EntryError(ErrorCode::kInvalidArgument, raw,
                        "layer holds more than " + std::to_string(options_.max_bytes) + " bytes");
    }
    const char* p = static_cast<const char*>(buf);
    size_t left = size;
    while (left > 0) {
      ssize_t n = ::pwrite(file.get(), p, left, offset);
      if (n < 0) {
        if (errno == EINTR) continue;
        return EntryErrno(raw, "write", errno);
      }
      p += n;
      left -= n;
      offset += n;
    }
    end = offset;
  }
  // A sparse file may end in a hole.
  if (archive_entry_size_is_set(e) && archive_entry_size(e) > end &&
      ::ftruncate(file.get(), archive_entry_size(e)) != 0) {
    return EntryErrno(raw, "truncate", errno);
  }
  BT_TRY(ApplyMetadata(e, raw, parent_fd, base, file.get()));
  return {};
}

Result<void> Applier::ApplyHardlink(struct archive_entry* e, const std::string& raw, int parent_fd,
                                    const std::string& base) {
  const char* link = archive_entry_hardlink(e);
  if (link == nullptr) link = archive_entry_hardlink_utf8(e);
  BT_ASSIGN_OR_RETURN(std::string clean_target, CleanName(link, std::string("hard link target \"") + link + "\"", raw));
  if (clean_target.empty()) return EntryError(ErrorCode::kInvalidArgument, raw, "hard link to the root");
  auto canonical = view_.Resolve(clean_target, FinalComponent::kNoFollow);
  if (!canonical) return std::move(canonical).error().Wrap("layer entry \"" + raw + "\"");
  BT_ASSIGN_OR_RETURN(std::optional<LayerView::Entry> target, view_.Lookup(*canonical));
  if (!target) {
    return EntryError(ErrorCode::kInvalidArgument, raw,
                      std::string("hard link target \"") + link + "\" is not in the layer or its parents");
  }
  if (S_ISDIR(target->st.st_mode)) {
    return EntryError(ErrorCode::kInvalidArgument, raw,
                      std::string("hard link target \"") + link + "\" is a directory");
  }
  if (target->layer > 0) BT_TRY(CopyUp(raw, *canonical, *target));
  auto [target_parent, target_base] = SplitParent(*canonical);
  BT_ASSIGN_OR_RETURN(UniqueFd tdir, MaterializeDir(target_parent));
  struct stat tst;
  if (::fstatat(tdir.get(), target_base.c_str(), &tst, AT_SYMLINK_NOFOLLOW) != 0) {
    return EntryErrno(raw, "stat hard link target", errno);
  }
  struct stat existing;
  if (::fstatat(parent_fd, base.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0 &&
      existing.st_dev == tst.st_dev && existing.st_ino == tst.st_ino) {
    return {};  // already the same file (a link to itself, or a repeated entry)
  }
  BT_TRY(ClearForNew(raw, parent_fd, base, false));
  if (::linkat(tdir.get(), target_base.c_str(), parent_fd, base.c_str(), 0) != 0) {
    return EntryErrno(raw, "link", errno);
  }
  return {};
}

Result<void> Applier::CopyUp(const std::string& raw, const std::string& canonical,
                             const LayerView::Entry& from) {
  auto [parent, base] = SplitParent(canonical);
  BT_ASSIGN_OR_RETURN(UniqueFd dir, MaterializeDir(parent));
  InRootOpenOptions open_lower;
  open_lower.flags = O_PATH | O_DIRECTORY;
  open_lower.final_component = FinalComponent::kNoFollow;
  open_lower.symlinks = SymlinkPolicy::kRefuse;
  auto lower_dir = OpenInRoot(view_.layer_fds()[from.layer], parent, open_lower);
  if (!lower_dir) return std::move(lower_dir).error().Wrap("layer entry \"" + raw + "\": copy up");
  const struct stat& st = from.st;
  const char* name = base.c_str();
  const std::string what = "copy up " + canonical;
  UniqueFd copy;
  if (S_ISREG(st.st_mode)) {
    int in_fd = ::openat(lower_dir->get(), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in_fd < 0) return EntryErrno(raw, what, errno);
    UniqueFd in(in_fd);
    int out_fd = ::openat(dir.get(), name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out_fd < 0) return EntryErrno(raw, what, errno);
    copy.Reset(out_fd);
    std::vector<char> buf(kCopyBufferSize);
    for (;;) {
      ssize_t n = ::read(in.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return EntryErrno(raw, what, errno);
      if (n == 0) break;
      for (ssize_t done = 0; done < n;) {
        ssize_t w = ::write(copy.get(), buf.data() + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return EntryErrno(raw, what, errno);
        done += w;
      }
    }
  } else if (S_ISLNK(st.st_mode)) {
    std::string target(st.st_size + 1, '\0');
    ssize_t n = ::readlinkat(lower_dir->get(), name, target.data(), target.size());
    if (n < 0) return EntryErrno(raw, what, errno);
    target.resize(n);
    if (::symlinkat(target.c_str(), dir.get(), name) != 0) return EntryErrno(raw, what, errno);
  } else {
    if (::mknodat(dir.get(), name, (st.st_mode & S_IFMT) | 0600, st.st_rdev) != 0) {
      return EntryErrno(raw, what, errno);
    }
  }
  if (options_.ownership == OwnershipPolicy::kFromArchive &&
      ::fchownat(dir.get(), name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return EntryErrno(raw, what + ": chown", errno);
  }
  if (copy.valid()) {
    if (::fchmod(copy.get(), st.st_mode & 07777) != 0) return EntryErrno(raw, what + ": chmod", errno);
    int from_fd = ::openat(lower_dir->get(), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (from_fd < 0) return EntryErrno(raw, what, errno);
    UniqueFd from_file(from_fd);
    BT_TRY(CopyXattrs(from_file.get(), copy.get(), canonical));
  } else if (!S_ISLNK(st.st_mode) && ::fchmodat(dir.get(), name, st.st_mode & 07777, 0) != 0) {
    return EntryErrno(raw, what + ": chmod", errno);
  }
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::utimensat(dir.get(), name, times, AT_SYMLINK_NOFOLLOW) != 0) {
    return EntryErrno(raw, what + ": set times", errno);
  }
  return {};
}

Result<void> Applier::ApplyMetadata(struct archive_entry* e, const std::string& raw, int parent_fd,
                                    const std::string& base, int fd) {
  const mode_t type = archive_entry_filetype(e);
  const char* name = base.c_str();
  if (options_.ownership == OwnershipPolicy::kFromArchive) {
    const uid_t uid = static_cast<uid_t>(archive_entry_uid(e));
    const gid_t gid = static_cast<gid_t>(archive_entry_gid(e));
    int r = fd >= 0 ? ::fchown(fd, uid, gid) : ::fchownat(parent_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
    if (r != 0) {
      Error err = EntryErrno(raw, "chown", errno);
      if (err.code == ErrorCode::kPermissionDenied) {
        err.message += " (keeping the archive's owners needs CAP_CHOWN; OwnershipPolicy::kCaller does not)";
      }
      return err;
    }
  }
  // After chown, which clears setuid and setgid.
  if (type != AE_IFLNK) {
    const mode_t mode = archive_entry_perm(e) & 07777;
    int r = fd >= 0 ? ::fchmod(fd, mode) : ::fchmodat(parent_fd, name, mode, 0);
    if (r != 0) return EntryErrno(raw, "chmod", errno);
  }
  // After chown too, which clears security.capability.
  archive_entry_xattr_reset(e);
  const char* xname = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  // libarchive's pax writer stores each xattr twice (LIBARCHIVE.xattr and SCHILY.xattr) and
  // its reader returns both: apply and count each name once.
  std::vector<std::string> seen;
  while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
    if (xname == nullptr || std::find(seen.begin(), seen.end(), xname) != seen.end()) continue;
    seen.emplace_back(xname);
    if (std::string_view(xname).starts_with(kOverlayXattrPrefix)) {
      ++stats_.dropped_xattrs;  // would change how overlayfs reads the snapshot
      continue;
    }
    int r = fd >= 0 ? ::fsetxattr(fd, xname, value, size, 0)
                    : ::lsetxattr(ProcPath(parent_fd, base).c_str(), xname, value, size, 0);
    if (r != 0) {
      if (errno == ENOTSUP) {
        ++stats_.dropped_xattrs;
        continue;
      }
      return EntryErrno(raw, std::string("set xattr ") + xname + " on", errno);
    }
  }
  if (type != AE_IFDIR && archive_entry_mtime_is_set(e)) {
    struct timespec times[2];
    times[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
    times[0] = archive_entry_atime_is_set(e) ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)}
                                             : times[1];
    int r = fd >= 0 ? ::futimens(fd, times) : ::utimensat(parent_fd, name, times, AT_SYMLINK_NOFOLLOW);
    if (r != 0) return EntryErrno(raw, "set times of", errno);
  }
  return {};
}

Result<void> Applier::ApplyDeferredTimes() {
  InRootOpenOptions open_dir;
  open_dir.flags = O_RDONLY | O_DIRECTORY;
  open_dir.final_component = FinalComponent::kNoFollow;
  open_dir.symlinks = SymlinkPolicy::kRefuse;
  for (const DeferredDirTimes& d : deferred_) {
    // Only the directory this call created or updated: a later entry may have replaced it.
    auto dir = OpenInRoot(diff_fd_, d.canonical, open_dir);
    if (!dir) continue;
    struct stat st;
    if (::fstat(dir->get(), &st) != 0 || st.st_dev != d.dev || st.st_ino != d.ino) continue;
    if (::futimens(dir->get(), d.times) != 0) return ErrnoError("set times of", d.canonical, errno);
  }
  return {};
}

}  // namespace

Result<ApplyStats> ApplyLayer(int layer_fd, int diff_dir_fd, std::span<const int> lower_dir_fds,
                              const ApplyOptions& options) {
  ArchivePtr a(archive_read_new());
  if (!a) return MakeError(ErrorCode::kInternal, "apply layer: archive_read_new failed");
  // Only what an OCI layer may be (tar; none, gzip or zstd), and only in-process filters:
  // libarchive would otherwise fall back to running external programs.
  if (archive_read_support_filter_gzip(a.get()) != ARCHIVE_OK ||
      archive_read_support_filter_zstd(a.get()) != ARCHIVE_OK ||
      archive_read_support_format_tar(a.get()) != ARCHIVE_OK ||
      archive_read_support_format_empty(a.get()) != ARCHIVE_OK) {
    return MakeError(ErrorCode::kInternal, "apply layer: libarchive lacks in-process gzip or zstd");
  }
  if (archive_read_open_fd(a.get(), layer_fd, kReadBlockSize) != ARCHIVE_OK) {
    return MakeError(ErrorCode::kDataLoss, std::string("apply layer: open the layer stream: ") +
                                               (archive_error_string(a.get()) ? archive_error_string(a.get()) : "?"));
  }
  Applier applier(diff_dir_fd, lower_dir_fds, options);
  return applier.Run(a.get());
}

namespace {

struct StreamClient {
  LayerStream* stream;
  std::optional<Error> error;  // the stream's, which libarchive can only call a read failure
};

la_ssize_t ReadStream(struct archive* a, void* client, const void** buffer) {
  auto* c = static_cast<StreamClient*>(client);
  Result<std::string_view> chunk = c->stream->Next();
  if (!chunk) {
    c->error = std::move(chunk).error();
    archive_set_error(a, EIO, "%s", c->error->message.c_str());
    return -1;
  }
  *buffer = chunk->data();
  return static_cast<la_ssize_t>(chunk->size());
}

}  // namespace

Result<ApplyStats> ApplyLayerStream(LayerStream& stream, int diff_dir_fd,
                                    std::span<const int> lower_dir_fds, const ApplyOptions& options) {
  ArchivePtr a(archive_read_new());
  if (!a) return MakeError(ErrorCode::kInternal, "apply layer: archive_read_new failed");
  // The stream is already uncompressed: a tar (or nothing at all), no filter.
  if (archive_read_support_format_tar(a.get()) != ARCHIVE_OK ||
      archive_read_support_format_empty(a.get()) != ARCHIVE_OK) {
    return MakeError(ErrorCode::kInternal, "apply layer: libarchive lacks the tar reader");
  }
  StreamClient client{&stream, std::nullopt};
  if (archive_read_open(a.get(), &client, nullptr, ReadStream, nullptr) != ARCHIVE_OK) {
    if (client.error) return *client.error;
    return MakeError(ErrorCode::kDataLoss, std::string("apply layer: open the layer stream: ") +
                                               (archive_error_string(a.get()) ? archive_error_string(a.get()) : "?"));
  }
  Applier applier(diff_dir_fd, lower_dir_fds, options);
  Result<ApplyStats> stats = applier.Run(a.get());
  if (!stats && client.error) return *client.error;
  return stats;
}

}  // namespace bt::cache
