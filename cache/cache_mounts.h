// Persistent cache mounts (RUN --mount=type=cache): directories that outlive builds, shared
// by id, never part of an image or a cache key. They live in <root>/cache-mounts/<H>/<n>/
// where H is the SHA-256 of the id (an id is an opaque key: `id=../../etc` names nothing
// on the host, SECURITY.md case 10) and n an instance number. Sharing follows BuildKit:
//   shared  - every step uses instance 0 at the same time (a shared file lock);
//   locked  - steps take instance 0 one at a time (an exclusive lock, waited for);
//   private - a step takes the first instance no one else holds, making a new one if needed.
// A new instance is filled from the mount's `from` tree, given the mount's mode and owner,
// and renamed into place complete. The locks are flocks, so they hold across processes and
// die with a killed build. `du` counts them and `prune` removes the instances no build holds,
// as BuildKit's prune does with its exec.cachemount records. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace bt::cache {

enum class CacheMountSharing { kShared, kPrivate, kLocked };

// What RUN --mount=type=cache asks for, as far as storage is concerned.
struct CacheMountSpec {
  std::string id;
  CacheMountSharing sharing = CacheMountSharing::kShared;
  std::uint32_t mode = 0755;  // of a new instance's root
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

// An instance held by a step until this is destroyed.
class CacheMountHold {
 public:
  CacheMountHold() = default;
  CacheMountHold(std::string dir, UniqueFd lock) : dir_(std::move(dir)), lock_(std::move(lock)) {}
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  UniqueFd lock_;
};

// Fills a new, empty instance directory with the `from` tree's content.
using CacheMountSeed = std::function<Result<void>(const std::string& dir)>;

// Takes an instance of `mount` below `cache_mounts_dir` as its sharing mode says, creating
// it (seeded by `seed`, which may be empty) when missing. `stopping` is polled while waiting
// for a lock; kCancelled once it says so.
Result<CacheMountHold> HoldCacheMount(const std::string& cache_mounts_dir,
                                      const CacheMountSpec& mount, const CacheMountSeed& seed,
                                      const std::function<bool()>& stopping);

struct CacheMountUsage {
  std::size_t instances = 0;
  std::uint64_t bytes = 0;  // regular files' sizes
};
Result<CacheMountUsage> MeasureCacheMounts(const std::string& cache_mounts_dir);

// Removes every instance no build holds (its lock can be taken exclusively); one in use stays.
// The usage removed.
Result<CacheMountUsage> PruneCacheMounts(const std::string& cache_mounts_dir);

}  // namespace bt::cache
