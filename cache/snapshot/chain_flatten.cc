#include "cache/snapshot/chain_flatten.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <string_view>
#include <utility>

#include "base/unique_fd.h"
#include "cache/snapshot/in_root_path.h"

namespace bt::cache {
namespace {

constexpr std::string_view kOverlayXattrPrefix = "trusted.overlay.";
constexpr const char* kOpaqueXattr = "trusted.overlay.opaque";
constexpr size_t kCopyChunk = 1 << 20;
constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// ErrnoError, with EPERM/EACCES as kPermissionDenied: the caller lacks a capability
// (CAP_CHOWN, CAP_MKNOD, CAP_SYS_ADMIN for trusted.*) rather than meeting a broken disk.
Error SysError(std::string_view op, const std::string& path, int err) {
  Error e = ErrnoError(op, path, err);
  if (err == EPERM || err == EACCES) e.code = ErrorCode::kPermissionDenied;
  return e;
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

std::string ProcPath(int dir_fd, const std::string& name) {
  return "/proc/self/fd/" + std::to_string(dir_fd) + "/" + name;
}

// An xattr call through /proc/self/fd failed: say so when /proc is the reason.
Error ProcError(std::string_view op, const std::string& display, int err) {
  Error e = SysError(op, display, err);
  if (err == ENOENT && ::access("/proc/self/fd", F_OK) != 0) {
    e.message += " (xattrs of symlinks and device nodes are reached through /proc, which is "
                 "not mounted)";
  }
  return e;
}

bool IsWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0;
}

bool IsOpaque(int dir_fd) {
  char value[2] = {};
  const ssize_t n = ::fgetxattr(dir_fd, kOpaqueXattr, value, sizeof(value));
  return n == 1 && value[0] == 'y';
}

bool IsOverlayXattr(std::string_view name) { return name.starts_with(kOverlayXattrPrefix); }

// Reads every xattr through `list` and `get` (f*xattr or l*xattr), retrying when a value
// grows between the size query and the read. `fail` builds the error for a failed call.
template <typename List, typename Get, typename Fail>
Result<Xattrs> ReadXattrsWith(List list, Get get, Fail fail) {
  std::string names;
  for (;;) {
    const ssize_t size = list(nullptr, 0);
    if (size < 0) {
      if (errno == ENOTSUP) return Xattrs{};  // the filesystem has none to give
      return fail("listxattr", errno);
    }
    if (size == 0) break;
    names.resize(static_cast<size_t>(size));
    const ssize_t n = list(names.data(), names.size());
    if (n >= 0) {
      names.resize(static_cast<size_t>(n));
      break;
    }
    if (errno != ERANGE) return fail("listxattr", errno);
  }
  Xattrs out;
  for (size_t pos = 0; pos < names.size();) {
    const std::string name(names.c_str() + pos);
    pos += name.size() + 1;
    if (name.empty() || IsOverlayXattr(name)) continue;
    for (;;) {
      const ssize_t size = get(name.c_str(), nullptr, 0);
      if (size < 0 && errno == ENODATA) break;  // removed since the listing
      if (size < 0) return fail("getxattr " + name, errno);
      std::string value(static_cast<size_t>(size), '\0');
      const ssize_t n = get(name.c_str(), value.data(), value.size());
      if (n >= 0) {
        value.resize(static_cast<size_t>(n));
        out.push_back({name, std::move(value)});
        break;
      }
      if (errno == ENODATA) break;
      if (errno != ERANGE) return fail("getxattr " + name, errno);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
  return out;
}

// Sets `xattrs` on an open file or directory (fd >= 0), else on dir_fd/name without
// following it.
Result<void> WriteXattrs(int fd, const EntryRef& at, const Xattrs& xattrs) {
  const std::string& display = at.display;
  const std::string proc = fd >= 0 ? std::string() : ProcPath(at.dir_fd, at.name);
  for (const Xattr& x : xattrs) {
    const int r = fd >= 0 ? ::fsetxattr(fd, x.name.c_str(), x.value.data(), x.value.size(), 0)
                          : ::lsetxattr(proc.c_str(), x.name.c_str(), x.value.data(),
                                        x.value.size(), 0);
    if (r != 0) {
      return fd >= 0 ? SysError("setxattr " + x.name, display, errno)
                     : ProcError("setxattr " + x.name, display, errno);
    }
  }
  return {};
}

Result<void> WriteAll(int fd, const char* data, size_t size, const std::string& display) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SysError("write", display, errno);
    data += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

Result<void> CopyFileContent(int in, int out, const std::string& display) {
  if (::ioctl(out, FICLONE, in) == 0) return {};
  bool copied_any = false;
  for (;;) {
    const ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, kCopyChunk, 0);
    if (n > 0) {
      copied_any = true;
      continue;
    }
    if (n == 0) return {};
    if (errno == EINTR) continue;
    const bool unsupported = errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP ||
                             errno == EINVAL;
    if (copied_any || !unsupported) return SysError("copy_file_range", display, errno);
    break;
  }
  std::string buf(kCopyChunk, '\0');
  for (;;) {
    const ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SysError("read", display, errno);
    if (n == 0) return {};
    BT_TRY(WriteAll(out, buf.data(), static_cast<size_t>(n), display));
  }
}

namespace {

Result<std::string> ReadLink(const EntryRef& at, size_t size_hint) {
  std::string target(size_hint + 1, '\0');
  for (;;) {
    const ssize_t n = ::readlinkat(at.dir_fd, at.name.c_str(), target.data(), target.size());
    if (n < 0) return SysError("readlink", at.display, errno);
    if (static_cast<size_t>(n) < target.size()) {
      target.resize(static_cast<size_t>(n));
      return target;
    }
    target.resize(target.size() * 2);
  }
}

Result<void> CopyRegular(const EntryRef& from, const struct stat& st, const EntryRef& to) {
  // O_NONBLOCK: if the entry was swapped for a fifo since it was stat'ed, opening must not hang.
  UniqueFd in(::openat(from.dir_fd, from.name.c_str(),
                       O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!in.valid()) return SysError("open", from.display, errno);
  struct stat now;
  if (::fstat(in.get(), &now) != 0) return SysError("stat", from.display, errno);
  if (!S_ISREG(now.st_mode) || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "copy " + from.display + ": the entry changed while it was being copied");
  }
  UniqueFd out(::openat(to.dir_fd, to.name.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out.valid()) {
    Error e = SysError("create", to.display, errno);
    if (e.sys_errno == EEXIST) e.code = ErrorCode::kAlreadyExists;
    return e;
  }
  BT_TRY(CopyFileContent(in.get(), out.get(), from.display + " to " + to.display));
  BT_ASSIGN_OR_RETURN(Xattrs xattrs, ReadXattrsOfFd(in.get(), from.display));
  // chown clears setuid/setgid and security.capability: mode and xattrs come after it.
  if (::fchown(out.get(), st.st_uid, st.st_gid) != 0) return SysError("chown", to.display, errno);
  if (::fchmod(out.get(), st.st_mode & 07777) != 0) return SysError("chmod", to.display, errno);
  BT_TRY(WriteXattrs(out.get(), to, xattrs));
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::futimens(out.get(), times) != 0) return SysError("set times of", to.display, errno);
  return {};
}

// Symlinks, device nodes, fifos and sockets: entries that are never opened.
Result<void> CopyNode(const EntryRef& from, const struct stat& st, const EntryRef& to) {
  const std::string& display = to.display;
  if (S_ISLNK(st.st_mode)) {
    BT_ASSIGN_OR_RETURN(std::string target, ReadLink(from, static_cast<size_t>(st.st_size)));
    if (::symlinkat(target.c_str(), to.dir_fd, to.name.c_str()) != 0) {
      Error e = SysError("symlink", display, errno);
      if (e.sys_errno == EEXIST) e.code = ErrorCode::kAlreadyExists;
      return e;
    }
  } else if (::mknodat(to.dir_fd, to.name.c_str(), (st.st_mode & S_IFMT) | 0600, st.st_rdev) !=
             0) {
    Error e = SysError("mknod", display, errno);
    if (e.sys_errno == EEXIST) e.code = ErrorCode::kAlreadyExists;
    if (e.code == ErrorCode::kPermissionDenied) e.message += " (device nodes need CAP_MKNOD)";
    return e;
  }
  BT_ASSIGN_OR_RETURN(Xattrs xattrs, ReadXattrsAt(from));
  if (::fchownat(to.dir_fd, to.name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return SysError("chown", display, errno);
  }
  // A symlink's own mode is always 0777 on Linux. The node was created by us a moment ago in
  // a directory nobody else writes, so the plain fchmodat cannot meet a symlink.
  if (!S_ISLNK(st.st_mode) &&
      ::fchmodat(to.dir_fd, to.name.c_str(), st.st_mode & 07777, 0) != 0) {
    return SysError("chmod", display, errno);
  }
  BT_TRY(WriteXattrs(-1, to, xattrs));
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::utimensat(to.dir_fd, to.name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return SysError("set times of", display, errno);
  }
  return {};
}

// Makes an existing directory writable and searchable for its owner while it is filled; its
// real mode is applied afterwards. Only matters without CAP_DAC_OVERRIDE.
Result<void> EnsureOwnerAccess(int dir_fd, const std::string& display) {
  struct stat st;
  if (::fstat(dir_fd, &st) != 0) return SysError("stat", display, errno);
  if ((st.st_mode & 0700) == 0700 || ::geteuid() == 0) return {};
  if (::fchmod(dir_fd, (st.st_mode & 07777) | 0700) != 0) return SysError("chmod", display, errno);
  return {};
}

Result<void> RemoveAt(int dir_fd, const std::string& name, const std::string& display);

Result<void> ClearDir(int dir_fd, const std::string& display) {
  BT_TRY(EnsureOwnerAccess(dir_fd, display));
  BT_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirNames(dir_fd, display));
  for (const std::string& name : names) BT_TRY(RemoveAt(dir_fd, name, Join(display, name)));
  return {};
}

// Removes dir_fd/name and, for a directory (never a symlink to one), all below it.
Result<void> RemoveAt(int dir_fd, const std::string& name, const std::string& display) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return SysError("stat", display, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    UniqueFd child(::openat(dir_fd, name.c_str(), kDirFlags));
    if (!child.valid()) return SysError("open", display, errno);
    BT_TRY(ClearDir(child.get(), display));
    if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0) {
      return SysError("rmdir", display, errno);
    }
    return {};
  }
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0) return SysError("unlink", display, errno);
  return {};
}

// Applies diff dirs onto one destination tree. Hard links are tracked per diff: overlayfs
// breaks a link that spans layers when it copies one name up, so only links within a diff
// are links in the merged view.
class Flattener {
 public:
  Flattener(int dest_root, std::string dest_display)
      : dest_root_(dest_root), dest_display_(std::move(dest_display)) {}

  Result<void> ApplyDiff(int diff_fd, const std::string& diff_display) {
    diff_display_ = diff_display;
    links_.clear();
    return ApplyDir(diff_fd, dest_root_, "");
  }

 private:
  std::string Src(const std::string& rel) const { return diff_display_ + "/" + rel; }
  std::string Dest(const std::string& rel) const { return dest_display_ + "/" + rel; }

  Result<void> ApplyDir(int src_fd, int dest_fd, const std::string& rel);
  Result<void> ApplyDirectory(int src_fd, int dest_fd, const std::string& rel,
                              const std::string& name, const struct stat& dest_st);
  Result<void> ApplyNonDirectory(int src_fd, int dest_fd, const std::string& rel,
                                 const std::string& name, const struct stat& st);

  int dest_root_;
  std::string dest_display_;
  std::string diff_display_;
  // Source inode (of an entry with st_nlink > 1) -> relative path of its copy in dest.
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

Result<void> Flattener::ApplyDir(int src_fd, int dest_fd, const std::string& rel) {
  BT_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirNames(src_fd, Src(rel)));
  for (const std::string& name : names) {
    const std::string child = Join(rel, name);
    struct stat st;
    if (::fstatat(src_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return SysError("stat", Src(child), errno);
    }
    if (IsWhiteout(st)) {
      BT_TRY(RemoveAt(dest_fd, name, Dest(child)));
      continue;
    }
    struct stat dest_st;
    if (::fstatat(dest_fd, name.c_str(), &dest_st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) return SysError("stat", Dest(child), errno);
      dest_st.st_mode = 0;  // absent
    }
    if (S_ISDIR(st.st_mode)) {
      BT_TRY(ApplyDirectory(src_fd, dest_fd, rel, name, dest_st));
      continue;
    }
    if (dest_st.st_mode != 0) BT_TRY(RemoveAt(dest_fd, name, Dest(child)));
    BT_TRY(ApplyNonDirectory(src_fd, dest_fd, rel, name, st));
  }
  return {};
}

Result<void> Flattener::ApplyDirectory(int src_fd, int dest_fd, const std::string& rel,
                                       const std::string& name, const struct stat& dest_st) {
  const std::string child = Join(rel, name);
  UniqueFd src(::openat(src_fd, name.c_str(), kDirFlags));
  if (!src.valid()) return SysError("open", Src(child), errno);
  struct stat st;
  if (::fstat(src.get(), &st) != 0) return SysError("stat", Src(child), errno);
  if (dest_st.st_mode != 0 && !S_ISDIR(dest_st.st_mode)) {
    BT_TRY(RemoveAt(dest_fd, name, Dest(child)));
  }
  UniqueFd dest;
  if (S_ISDIR(dest_st.st_mode)) {
    dest.Reset(::openat(dest_fd, name.c_str(), kDirFlags));
    if (!dest.valid()) return SysError("open", Dest(child), errno);
    if (IsOpaque(src.get())) {
      BT_TRY(ClearDir(dest.get(), Dest(child)));
    } else {
      BT_TRY(EnsureOwnerAccess(dest.get(), Dest(child)));
    }
  } else {
    if (::mkdirat(dest_fd, name.c_str(), 0700) != 0) return SysError("mkdir", Dest(child), errno);
    dest.Reset(::openat(dest_fd, name.c_str(), kDirFlags));
    if (!dest.valid()) return SysError("open", Dest(child), errno);
  }
  BT_TRY(ApplyDir(src.get(), dest.get(), child));
  BT_ASSIGN_OR_RETURN(Xattrs xattrs, ReadXattrsOfFd(src.get(), Src(child)));
  return ApplyDirectoryMetadata(dest.get(), st, xattrs, Dest(child));
}

Result<void> Flattener::ApplyNonDirectory(int src_fd, int dest_fd, const std::string& rel,
                                          const std::string& name, const struct stat& st) {
  const std::string child = Join(rel, name);
  const std::pair<dev_t, ino_t> key{st.st_dev, st.st_ino};
  if (st.st_nlink > 1) {
    if (auto it = links_.find(key); it != links_.end()) {
      const std::string& first = it->second;
      const size_t slash = first.rfind('/');
      const std::string first_dir = slash == std::string::npos ? "" : first.substr(0, slash);
      const std::string first_name = slash == std::string::npos ? first : first.substr(slash + 1);
      InRootOpenOptions open_dir;
      open_dir.flags = O_PATH | O_DIRECTORY;
      open_dir.final_component = FinalComponent::kNoFollow;
      open_dir.symlinks = SymlinkPolicy::kRefuse;
      Result<UniqueFd> dir = OpenInRoot(dest_root_, first_dir, open_dir);
      if (!dir) return std::move(dir).error().Wrap("link " + Dest(child) + " to " + Dest(first));
      if (::linkat(dir->get(), first_name.c_str(), dest_fd, name.c_str(), 0) != 0) {
        return SysError("link " + Dest(first) + " to", Dest(child), errno);
      }
      return {};
    }
  }
  BT_TRY(CopyNonDirectory({src_fd, name, Src(child)}, st, {dest_fd, name, Dest(child)}));
  if (st.st_nlink > 1) links_.emplace(key, child);
  return {};
}

}  // namespace

Result<std::vector<std::string>> ListDirNames(int dir_fd, const std::string& display) {
  const int dup_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return SysError("dup", display, errno);
  DIR* d = ::fdopendir(dup_fd);
  if (d == nullptr) {
    const int err = errno;
    UniqueFd owned(dup_fd);
    return SysError("opendir", display, err);
  }
  // The duplicate shares its offset with dir_fd, which an earlier listing may have moved.
  ::rewinddir(d);
  std::vector<std::string> names;
  int read_errno = 0;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(d);
    if (e == nullptr) {
      read_errno = errno;
      break;
    }
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(d);
  if (read_errno != 0) return SysError("readdir", display, read_errno);
  std::sort(names.begin(), names.end());
  return names;
}

Result<Xattrs> ReadXattrsOfFd(int fd, const std::string& display) {
  return ReadXattrsWith(
      [fd](char* buf, size_t size) { return ::flistxattr(fd, buf, size); },
      [fd](const char* name, void* buf, size_t size) { return ::fgetxattr(fd, name, buf, size); },
      [&display](const std::string& op, int err) { return SysError(op, display, err); });
}

Result<Xattrs> ReadXattrsAt(const EntryRef& entry) {
  const std::string proc = ProcPath(entry.dir_fd, entry.name);
  const std::string& display = entry.display;
  return ReadXattrsWith(
      [&proc](char* buf, size_t size) { return ::llistxattr(proc.c_str(), buf, size); },
      [&proc](const char* x, void* buf, size_t size) {
        return ::lgetxattr(proc.c_str(), x, buf, size);
      },
      [&display](const std::string& op, int err) { return ProcError(op, display, err); });
}

Result<void> CopyNonDirectory(const EntryRef& from, const struct stat& st, const EntryRef& to) {
  if (S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kInternal, "copy " + from.display + ": is a directory");
  }
  if (S_ISREG(st.st_mode)) return CopyRegular(from, st, to);
  return CopyNode(from, st, to);
}

Result<void> ApplyDirectoryMetadata(int dir_fd, const struct stat& st, const Xattrs& xattrs,
                                    const std::string& display) {
  if (::fchown(dir_fd, st.st_uid, st.st_gid) != 0) return SysError("chown", display, errno);
  if (::fchmod(dir_fd, st.st_mode & 07777) != 0) return SysError("chmod", display, errno);
  BT_ASSIGN_OR_RETURN(Xattrs existing, ReadXattrsOfFd(dir_fd, display));
  for (const Xattr& x : existing) {
    const bool kept = std::any_of(xattrs.begin(), xattrs.end(),
                                  [&x](const Xattr& want) { return want.name == x.name; });
    if (!kept && ::fremovexattr(dir_fd, x.name.c_str()) != 0 && errno != ENODATA) {
      return SysError("removexattr " + x.name, display, errno);
    }
  }
  BT_TRY(WriteXattrs(dir_fd, {-1, "", display}, xattrs));
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::futimens(dir_fd, times) != 0) return SysError("set times of", display, errno);
  return {};
}

Result<void> FlattenChain(const std::vector<std::string>& diff_dirs, const std::string& dest) {
  UniqueFd dest_fd(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dest_fd.valid()) return SysError("open", dest, errno);
  BT_ASSIGN_OR_RETURN(std::vector<std::string> existing, ListDirNames(dest_fd.get(), dest));
  if (!existing.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "flatten into " + dest + ": not empty (holds \"" + existing[0] + "\")");
  }
  Flattener flattener(dest_fd.get(), dest);
  for (auto it = diff_dirs.rbegin(); it != diff_dirs.rend(); ++it) {
    UniqueFd diff_fd(::open(it->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!diff_fd.valid()) return SysError("open", *it, errno);
    BT_TRY(flattener.ApplyDiff(diff_fd.get(), *it));
  }
  return {};
}

}  // namespace bt::cache
