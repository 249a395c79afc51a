// FileLock: an flock(2) on a lock file, exclusive or shared, held until the object dies.
// Coordinates buildtool processes sharing one cache root (ingest, commit, prune, leases).
//
// Semantics callers rely on:
//  - flock locks belong to the open file description. Two FileLocks on the same path
//    conflict even inside one process (unlike POSIX fcntl locks), so threads may use them.
//  - The kernel drops the lock when the last descriptor of that description closes, which
//    includes the process dying for any reason (kill -9, OOM). A lease built on a FileLock
//    therefore cannot outlive its process. A fork()ed child shares the description until it
//    execs (the descriptor is O_CLOEXEC) or exits.
//  - The lock guards the file the path names *now*. A holder may unlink the lock file as
//    its last act on the guarded thing (an ingest directory being removed): a waiter that
//    then gets the lock notices the path no longer names the file it locked and retries on
//    a fresh file. From the unlink on, the old holder no longer excludes anyone.
//  - Only local filesystems are supported (flock over NFS is emulated and unreliable).
// Move-only; one FileLock object is used by one thread at a time.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace bt {

enum class LockMode { kExclusive, kShared };

class FileLock {
 public:
  // Creates the lock file (mode 0600) if missing and blocks until the lock is granted.
  // kIo on failure (ENOENT when the directory is missing).
  static Result<FileLock> Acquire(const std::string& path, LockMode mode);
  // Like Acquire but never waits: an empty optional when another holder conflicts.
  static Result<std::optional<FileLock>> TryAcquire(const std::string& path, LockMode mode);

  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() = default;  // closing the descriptor releases the lock

  const std::string& path() const { return path_; }
  LockMode mode() const { return mode_; }

 private:
  FileLock(std::string path, LockMode mode, UniqueFd fd)
      : path_(std::move(path)), mode_(mode), fd_(std::move(fd)) {}

  std::string path_;
  LockMode mode_ = LockMode::kExclusive;
  UniqueFd fd_;  // holds the lock while valid
};

}  // namespace bt
