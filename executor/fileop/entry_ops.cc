#include "executor/fileop/entry_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string_view>
#include <vector>

#include "base/temp_dir.h"
#include "executor/fileop/path_error.h"

namespace bt::executor {
namespace {

constexpr std::string_view kOverlayXattrPrefix = "trusted.overlay.";
constexpr size_t kCopyBuffer = 128 * 1024;

Result<void> CopyByReadWrite(int from, int to, const std::string& shown) {
  std::vector<char> buf(kCopyBuffer);
  for (;;) {
    const ssize_t n = ::read(from, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return PathError("read", shown, errno);
    if (n == 0) return {};
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(to, buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return PathError("write", shown, errno);
      done += w;
    }
  }
}

}  // namespace

std::string ProcPath(const EntryRef& e) {
  return "/proc/self/fd/" + std::to_string(e.dir_fd) + "/" + e.name;
}

Result<void> SetOwner(const EntryRef& e, int fd, UidGid owner) {
  const int r = fd >= 0 ? ::fchown(fd, owner.uid, owner.gid)
                        : ::fchownat(e.dir_fd, e.name.c_str(), owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW);
  if (r != 0) return PathError("lchown", e.shown, errno);
  return {};
}

Result<void> SetMode(const EntryRef& e, int fd, mode_t mode) {
  // glibc implements fchmodat's AT_SYMLINK_NOFOLLOW through an O_PATH descriptor, so a
  // symlink swapped in is refused (EOPNOTSUPP) instead of followed.
  const int r = fd >= 0 ? ::fchmod(fd, mode & 07777)
                        : ::fchmodat(e.dir_fd, e.name.c_str(), mode & 07777, AT_SYMLINK_NOFOLLOW);
  if (r != 0) return PathError("chmod", e.shown, errno);
  return {};
}

Result<void> SetTimes(const EntryRef& e, int fd, const struct timespec& atime,
                      const struct timespec& mtime) {
  const struct timespec times[2] = {atime, mtime};
  const int r = fd >= 0 ? ::futimens(fd, times)
                        : ::utimensat(e.dir_fd, e.name.c_str(), times, AT_SYMLINK_NOFOLLOW);
  if (r != 0) return PathError("utime", e.shown, errno);
  return {};
}

void CopyXattrs(const EntryRef& from, const EntryRef& to) {
  const std::string src = ProcPath(from);
  const std::string dst = ProcPath(to);
  ssize_t size = ::llistxattr(src.c_str(), nullptr, 0);
  if (size <= 0) return;
  std::vector<char> names(static_cast<size_t>(size));
  size = ::llistxattr(src.c_str(), names.data(), names.size());
  if (size <= 0) return;
  std::vector<char> value;
  for (size_t pos = 0; pos < static_cast<size_t>(size);) {
    const std::string name(names.data() + pos);
    pos += name.size() + 1;
    if (std::string_view(name).starts_with(kOverlayXattrPrefix)) continue;
    ssize_t len = ::lgetxattr(src.c_str(), name.c_str(), nullptr, 0);
    if (len < 0) continue;
    value.resize(static_cast<size_t>(len));
    len = ::lgetxattr(src.c_str(), name.c_str(), value.data(), value.size());
    if (len < 0) continue;
    (void)::lsetxattr(dst.c_str(), name.c_str(), value.data(), static_cast<size_t>(len), 0);
  }
}

Result<void> CopyContents(int from, int to, const std::string& shown) {
  bool first = true;
  for (;;) {
    const ssize_t n = ::copy_file_range(from, nullptr, to, nullptr, 1 << 30, 0);
    if (n == 0) return {};
    if (n > 0) {
      first = false;
      continue;
    }
    if (errno == EINTR) continue;
    // The same fallbacks as Go's copy_file_range use (and fsutil's copyFileContent): these
    // mean "not between these files", not a failed copy, as long as nothing was copied yet.
    const bool unsupported = errno == ENOSYS || errno == EXDEV || errno == EPERM || errno == EIO ||
                             errno == EOPNOTSUPP || errno == EINVAL;
    if (!unsupported || !first) return PathError("copy", shown, errno);
    return CopyByReadWrite(from, to, shown);
  }
}

Result<void> RemoveEntry(const EntryRef& e) {
  // base::RemoveTree removes without following links and with a bounded number of fds; the
  // /proc path reaches our directory fd, and only what lies below it is walked.
  auto removed = RemoveTree(ProcPath(e));
  if (!removed) return PathError("remove", e.shown, removed.error().sys_errno != 0 ? removed.error().sys_errno : EIO);
  return {};
}

}  // namespace bt::executor
