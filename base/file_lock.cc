#include "base/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>

namespace bt {
namespace {

enum class Wait { kBlock, kNoWait };

// Returns a descriptor holding the lock, or an invalid one when kNoWait found it busy.
Result<UniqueFd> LockFd(const std::string& path, LockMode mode, Wait wait) {
  const int op =
      (mode == LockMode::kExclusive ? LOCK_EX : LOCK_SH) | (wait == Wait::kBlock ? 0 : LOCK_NB);
  for (;;) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) return ErrnoError("open lock file", path, errno);
    int rc;
    do {
      rc = ::flock(fd.get(), op);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      if (errno == EWOULDBLOCK && wait == Wait::kNoWait) return UniqueFd();
      return ErrnoError("lock", path, errno);
    }
    // The previous holder may have unlinked or replaced the file while we waited; a lock
    // on an inode nobody else can open any more protects nothing, so start over.
    struct stat held, now;
    if (::fstat(fd.get(), &held) != 0) return ErrnoError("stat lock file", path, errno);
    if (::stat(path.c_str(), &now) != 0) {
      if (errno == ENOENT) continue;
      return ErrnoError("stat lock file", path, errno);
    }
    if (held.st_dev != now.st_dev || held.st_ino != now.st_ino) continue;
    return fd;
  }
}

}  // namespace

Result<FileLock> FileLock::Acquire(const std::string& path, LockMode mode) {
  BT_ASSIGN_OR_RETURN(UniqueFd fd, LockFd(path, mode, Wait::kBlock));
  return FileLock(path, mode, std::move(fd));
}

Result<std::optional<FileLock>> FileLock::TryAcquire(const std::string& path, LockMode mode) {
  BT_ASSIGN_OR_RETURN(UniqueFd fd, LockFd(path, mode, Wait::kNoWait));
  if (!fd.valid()) return std::optional<FileLock>();
  return std::optional<FileLock>(FileLock(path, mode, std::move(fd)));
}

}  // namespace bt
