#include "solver/cache_mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "base/temp_dir.h"
#include "oci/digest.h"

namespace bt::solver {
namespace {

Result<void> MkdirIfMissing(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return ErrnoError("mkdir", path, errno);
  return {};
}

// Opens (creating) the lock file of an instance and tries `operation` (LOCK_SH or LOCK_EX,
// with LOCK_NB). nullopt-like invalid fd when someone else holds it incompatibly.
Result<UniqueFd> TryLock(const std::string& path, int operation) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return ErrnoError("open", path, errno);
  if (::flock(fd.get(), operation | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return UniqueFd();
    return ErrnoError("lock", path, errno);
  }
  return fd;
}

// Creates the instance directory complete: seeded, chmod/chown'ed, then renamed into place.
Result<void> EnsureInstance(const std::string& dir, const ir::CacheMount& mount,
                            const CacheMountSeed& seed) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return MakeError(ErrorCode::kDataLoss, dir + ": not a directory");
    return {};
  }
  const std::string parent = dir.substr(0, dir.rfind('/'));
  BT_ASSIGN_OR_RETURN(TempDir fresh, TempDir::Create(parent, "new-"));
  if (seed) BT_TRY(seed(fresh.path()));
  if (::chmod(fresh.path().c_str(), mount.mode & 07777) != 0) return ErrnoError("chmod", fresh.path(), errno);
  if (::chown(fresh.path().c_str(), mount.uid, mount.gid) != 0) return ErrnoError("chown", fresh.path(), errno);
  if (::rename(fresh.path().c_str(), dir.c_str()) != 0) return ErrnoError("rename", dir, errno);
  fresh.Keep();
  return {};
}

}  // namespace

Result<CacheMountHold> HoldCacheMount(const std::string& cache_mounts_dir,
                                      const ir::CacheMount& mount, const CacheMountSeed& seed,
                                      const std::function<bool()>& stopping) {
  BT_TRY(MkdirIfMissing(cache_mounts_dir, 0700));
  const std::string base = cache_mounts_dir + "/" + oci::Digest::Of(mount.id).hex();
  BT_TRY(MkdirIfMissing(base, 0700));
  for (int instance = 0;; ++instance) {
    const std::string dir = base + "/" + std::to_string(instance);
    const std::string lock_path = dir + ".lock";
    UniqueFd lock;
    switch (mount.sharing) {
      case ir::CacheSharing::kShared: {
        // Exclusive only while the instance is being created, then shared.
        BT_ASSIGN_OR_RETURN(lock, TryLock(lock_path, LOCK_SH));
        while (!lock.valid()) {
          if (stopping && stopping()) return MakeError(ErrorCode::kCancelled, "the build is stopping");
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          BT_ASSIGN_OR_RETURN(lock, TryLock(lock_path, LOCK_SH));
        }
        struct stat st;
        if (::lstat(dir.c_str(), &st) != 0) {
          if (::flock(lock.get(), LOCK_EX) != 0) return ErrnoError("lock", lock_path, errno);
          BT_TRY(EnsureInstance(dir, mount, seed));
          if (::flock(lock.get(), LOCK_SH) != 0) return ErrnoError("lock", lock_path, errno);
        }
        return CacheMountHold(dir, std::move(lock));
      }
      case ir::CacheSharing::kLocked: {
        BT_ASSIGN_OR_RETURN(lock, TryLock(lock_path, LOCK_EX));
        while (!lock.valid()) {
          if (stopping && stopping()) return MakeError(ErrorCode::kCancelled, "the build is stopping");
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          BT_ASSIGN_OR_RETURN(lock, TryLock(lock_path, LOCK_EX));
        }
        BT_TRY(EnsureInstance(dir, mount, seed));
        return CacheMountHold(dir, std::move(lock));
      }
      case ir::CacheSharing::kPrivate: {
        BT_ASSIGN_OR_RETURN(lock, TryLock(lock_path, LOCK_EX));
        if (!lock.valid()) continue;  // someone holds it: try the next instance
        BT_TRY(EnsureInstance(dir, mount, seed));
        return CacheMountHold(dir, std::move(lock));
      }
    }
  }
}

}  // namespace bt::solver
