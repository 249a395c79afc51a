// Prune: frees cache records least recently used first, never one that a live build holds
// (BuildKit's prune with keep-storage and until filters). A record's snapshots go with it
// once no other record, child snapshot or live lease needs them; blobs that no record and no
// live lease names are garbage and always go (containerd's content GC). Build-context stat
// caches go when their directory is gone, or under the same filters as records. The DB changes happen in
// one write transaction; snapshot directories are removed after it commits, so a crash in
// between leaves only unrecorded directories, which `du --check` drops.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cache/cache_root.h"

namespace bt::cache {

struct PruneOptions {
  // Stop once the records left total at most this many bytes; absent: free all it may.
  std::optional<std::uint64_t> keep_bytes;
  // Only records unused for at least this long (`--filter until=24h`).
  std::optional<std::chrono::seconds> unused_for;
};

struct PruneReport {
  std::vector<CacheRecord> removed;  // in the order they were removed
  std::uint64_t freed_bytes = 0;
  std::size_t snapshots_removed = 0;
  std::size_t blobs_removed = 0;       // unreferenced content-store blobs
  std::uint64_t blob_bytes_freed = 0;  // their sizes (not part of freed_bytes)
  std::size_t stat_caches_removed = 0;  // build contexts whose stat cache was dropped
  std::size_t stale_leases_reaped = 0;
  std::size_t abandoned_ingests_removed = 0;  // partial blobs whose writer is gone
  std::size_t scratch_dirs_removed = 0;       // tmp/ dirs of builds that were killed
  std::size_t cache_mounts_removed = 0;       // RUN cache-mount instances no build held
  std::uint64_t cache_mount_bytes_freed = 0;  // their sizes (not part of freed_bytes)
};

Result<PruneReport> Prune(CacheRoot& root, const PruneOptions& options);

}  // namespace bt::cache
