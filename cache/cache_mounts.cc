#include "cache/cache_mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "base/temp_dir.h"
#include "cache/tree_bytes.h"
#include "oci/digest.h"

namespace bt::cache {
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

// TryLock until it succeeds; polled (a blocking flock could not notice the build stopping),
// kCancelled once `stopping` says so.
Result<UniqueFd> WaitForLock(const std::string& path, int operation,
                             const std::function<bool()>& stopping) {
  while (true) {
    BT_ASSIGN_OR_RETURN(UniqueFd lock, TryLock(path, operation));
    if (lock.valid()) return lock;
    if (stopping && stopping()) return MakeError(ErrorCode::kCancelled, "the build is stopping");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Creates the instance directory complete: seeded, chmod/chown'ed, then renamed into place.
Result<void> EnsureInstance(const std::string& dir, const CacheMountSpec& mount,
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
                                      const CacheMountSpec& mount, const CacheMountSeed& seed,
                                      const std::function<bool()>& stopping) {
  BT_TRY(MkdirIfMissing(cache_mounts_dir, 0700));
  const std::string base = cache_mounts_dir + "/" + oci::Digest::Of(mount.id).hex();
  BT_TRY(MkdirIfMissing(base, 0700));
  for (int instance = 0;; ++instance) {
    const std::string dir = base + "/" + std::to_string(instance);
    const std::string lock_path = dir + ".lock";
    UniqueFd lock;
    switch (mount.sharing) {
      case CacheMountSharing::kShared: {
        // Exclusive only while the instance is being created, then shared.
        BT_ASSIGN_OR_RETURN(lock, WaitForLock(lock_path, LOCK_SH, stopping));
        struct stat st;
        if (::lstat(dir.c_str(), &st) != 0) {
          if (::flock(lock.get(), LOCK_EX) != 0) return ErrnoError("lock", lock_path, errno);
          BT_TRY(EnsureInstance(dir, mount, seed));
          if (::flock(lock.get(), LOCK_SH) != 0) return ErrnoError("lock", lock_path, errno);
        }
        return CacheMountHold(dir, std::move(lock));
      }
      case CacheMountSharing::kLocked: {
        BT_ASSIGN_OR_RETURN(lock, WaitForLock(lock_path, LOCK_EX, stopping));
        BT_TRY(EnsureInstance(dir, mount, seed));
        return CacheMountHold(dir, std::move(lock));
      }
      case CacheMountSharing::kPrivate: {
        BT_ASSIGN_OR_RETURN(lock, TryLock(lock_path, LOCK_EX));
        if (!lock.valid()) continue;  // someone holds it: try the next instance
        BT_TRY(EnsureInstance(dir, mount, seed));
        return CacheMountHold(dir, std::move(lock));
      }
    }
  }
}

namespace {

// The instances below cache_mounts_dir: <H>/<n> directories (not their .lock files, nor a
// half-made new-XXXXXX).
Result<std::vector<std::string>> Instances(const std::string& cache_mounts_dir) {
  std::vector<std::string> out;
  DIR* top = ::opendir(cache_mounts_dir.c_str());
  if (top == nullptr) {
    if (errno == ENOENT) return out;
    return ErrnoError("read", cache_mounts_dir, errno);
  }
  std::vector<std::string> ids;
  while (const dirent* e = ::readdir(top)) {
    if (e->d_name[0] != '.') ids.emplace_back(e->d_name);
  }
  ::closedir(top);
  for (const std::string& id : ids) {
    const std::string base = cache_mounts_dir + "/" + id;
    DIR* d = ::opendir(base.c_str());
    if (d == nullptr) continue;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
      out.push_back(base + "/" + name);
    }
    ::closedir(d);
  }
  return out;
}

}  // namespace

Result<CacheMountUsage> MeasureCacheMounts(const std::string& cache_mounts_dir) {
  CacheMountUsage usage;
  BT_ASSIGN_OR_RETURN(const std::vector<std::string> instances, Instances(cache_mounts_dir));
  for (const std::string& dir : instances) {
    BT_ASSIGN_OR_RETURN(const std::uint64_t bytes, TreeBytes(dir));
    ++usage.instances;
    usage.bytes += bytes;
  }
  return usage;
}

Result<CacheMountUsage> PruneCacheMounts(const std::string& cache_mounts_dir) {
  CacheMountUsage removed;
  BT_ASSIGN_OR_RETURN(const std::vector<std::string> instances, Instances(cache_mounts_dir));
  for (const std::string& dir : instances) {
    // Held by a build (shared or exclusive) means in use: left alone.
    BT_ASSIGN_OR_RETURN(const UniqueFd lock, TryLock(dir + ".lock", LOCK_EX));
    if (!lock.valid()) continue;
    BT_ASSIGN_OR_RETURN(const std::uint64_t bytes, TreeBytes(dir));
    BT_TRY(RemoveTree(dir));
    ++removed.instances;
    removed.bytes += bytes;
  }
  return removed;
}

}  // namespace bt::cache
