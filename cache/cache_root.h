// CacheRoot: one buildtool cache root opened as a whole — the content store (blobs/), the
// snapshot store (snapshots/) and the metadata DB (db/) — and the disk-usage report that
// `buildtool du` prints. Several processes may open the same root; see each store for its
// own concurrency rules. Not copyable; the DB must not be carried across fork().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "cache/content_store.h"
#include "cache/metadata_db.h"
#include "cache/snapshot/snapshot_store.h"

namespace bt::cache {

class CacheRoot {
 public:
  // Creates the root and its folders (0700) when missing. kIo / kDataLoss from the stores.
  // `snapshotter` is how active snapshots are made here (overlayfs, or copies where it is
  // missing: ProbeOverlayfs); committed snapshots are the same either way.
  static Result<CacheRoot> Open(const std::string& path,
                                SnapshotterKind snapshotter = SnapshotterKind::kOverlay);

  const std::string& path() const { return path_; }
  // <root>/tmp: scratch space of running builds (mount points, flattened trees), on the same
  // filesystem as the snapshots.
  std::string tmp_dir() const { return path_ + "/tmp"; }
  // RUN --mount=type=cache directories (cache/cache_mounts.h).
  std::string cache_mounts_dir() const { return path_ + "/cache-mounts"; }
  ContentStore& content() { return *content_; }
  SnapshotStore& snapshots() { return *snapshots_; }
  MetadataDb& db() { return *db_; }

 private:
  CacheRoot() = default;

  std::string path_;
  std::unique_ptr<ContentStore> content_;
  std::unique_ptr<SnapshotStore> snapshots_;
  std::unique_ptr<MetadataDb> db_;
};

struct DiskUsageEntry {
  CacheRecord record;
  bool leased = false;  // a live build holds one of its snapshots: not reclaimable now
};

struct DiskUsage {
  std::vector<DiskUsageEntry> entries;  // most recently used first
  std::uint64_t records_bytes = 0;      // sum of the cache records' sizes
  std::uint64_t reclaimable_bytes = 0;  // of records no live lease holds
  std::uint64_t blob_bytes = 0;         // the content store's blobs
  std::size_t blob_count = 0;
  std::uint64_t cache_mount_bytes = 0;  // RUN --mount=type=cache directories
  std::size_t cache_mount_count = 0;
};

// Reads the DB and the content store (one read transaction; blobs by size).
Result<DiskUsage> ComputeDiskUsage(CacheRoot& root);

}  // namespace bt::cache
