#include "cache/prune.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "cache/build_scratch.h"
#include "cache/cache_mounts.h"
#include "cache/image_roots.h"
#include "cache/lease.h"

namespace bt::cache {
namespace {

// Deletes every blob that no cache record, no live lease and no stored image names. It runs in a write
// transaction of its own that changes nothing in the DB: holding the writer lock excludes
// every other writer in every process, and a build always names a blob in its lease (a write
// transaction) before it relies on the blob being there, so no blob can become needed between
// the mark and the sweep. It must not share the transaction that deletes records: a crash
// before that commit would bring the records back without the blobs they name.
Result<void> SweepBlobs(CacheRoot& root, WriteTxn& txn, const std::set<oci::Digest>& leased,
                        PruneReport* report) {
  report->blobs_removed = 0;
  report->blob_bytes_freed = 0;
  std::set<oci::Digest> needed = leased;
  BT_ASSIGN_OR_RETURN(const std::vector<CacheRecord> records, txn.ListCacheRecords());
  for (const CacheRecord& r : records) needed.insert(r.blobs.begin(), r.blobs.end());
  // The local image store's images: named by index.json, not by the DB. A build tags an image
  // only after its lease holds the blobs, so an image being made is covered either way.
  BT_ASSIGN_OR_RETURN(const std::set<oci::Digest> images,
                      ImageStoreBlobs(root.path(), root.content()));
  needed.insert(images.begin(), images.end());
  BT_ASSIGN_OR_RETURN(const std::vector<oci::Digest> blobs, root.content().Walk());
  for (const oci::Digest& d : blobs) {
    if (needed.count(d)) continue;
    Result<std::uint64_t> size = root.content().Size(d);
    Result<void> deleted = root.content().Delete(d);
    if (!deleted && deleted.error().code == ErrorCode::kNotFound) continue;  // a second prune
    BT_TRY(std::move(deleted));
    ++report->blobs_removed;
    if (size) report->blob_bytes_freed += *size;
  }
  return {};
}

// Stat caches of build contexts (cache/stat_cache.h): those of directories that no longer
// exist always go; the rest go under the same filter as records (all of them without one).
// Dropping one costs a re-read of that context, never a wrong result.
Result<void> DropStatCaches(WriteTxn& txn, const PruneOptions& options, PruneReport* report) {
  report->stat_caches_removed = 0;
  BT_ASSIGN_OR_RETURN(const std::vector<StatCacheContext> contexts, txn.ListStatCacheContexts());
  const Timestamp now = std::chrono::system_clock::now();
  for (const StatCacheContext& c : contexts) {
    struct stat st;
    const bool gone = ::stat(c.dir.c_str(), &st) != 0 && errno == ENOENT;
    const bool filtered = options.keep_bytes.has_value() || options.unused_for.has_value();
    const bool old = options.unused_for && now - c.last_used >= *options.unused_for;
    if (!gone && filtered && !old) continue;
    BT_TRY(txn.DeleteStatCache(c.key));
    ++report->stat_caches_removed;
  }
  return {};
}

}  // namespace

Result<PruneReport> Prune(CacheRoot& root, const PruneOptions& options) {
  PruneReport report;
  BT_ASSIGN_OR_RETURN(ReapReport reaped, ReapStaleLeases(root.db()));
  const std::size_t stale_leases = reaped.reaped_ids.size();

  std::vector<std::string> doomed_snapshots;
  BT_TRY(root.db().Update([&](WriteTxn& txn) -> Result<void> {
    report = PruneReport{};
    report.stale_leases_reaped = stale_leases;
    doomed_snapshots.clear();
    BT_ASSIGN_OR_RETURN(const HeldByLeases leased, HeldByLiveLeases(txn, root.path()));
    const std::set<std::string>& held = leased.snapshot_ids;
    BT_ASSIGN_OR_RETURN(std::vector<CacheRecord> records, txn.ListCacheRecords());
    std::uint64_t total = 0;
    for (const CacheRecord& r : records) total += r.size_bytes;
    std::sort(records.begin(), records.end(), [](const CacheRecord& a, const CacheRecord& b) {
      return a.last_used < b.last_used;  // least recently used first
    });
    const Timestamp now = std::chrono::system_clock::now();
    for (const CacheRecord& r : records) {
      if (options.keep_bytes && total <= *options.keep_bytes) break;
      if (options.unused_for && now - r.last_used < *options.unused_for) continue;
      const bool leased = std::any_of(r.snapshot_ids.begin(), r.snapshot_ids.end(),
                                      [&](const std::string& id) { return held.count(id) > 0; });
      if (leased) continue;
      BT_TRY(txn.DeleteCacheRecord(r.key));
      total -= r.size_bytes;
      report.freed_bytes += r.size_bytes;
      report.removed.push_back(r);
    }
    // Snapshots nothing needs any more: no record, no child, no live lease. Removing one
    // can free its parent, so repeat until nothing changes.
    for (bool changed = true; changed;) {
      changed = false;
      BT_ASSIGN_OR_RETURN(std::vector<SnapshotRecord> snapshots, txn.ListSnapshots());
      std::set<std::string> parents;
      for (const SnapshotRecord& s : snapshots) {
        if (s.parent) parents.insert(*s.parent);
      }
      for (const SnapshotRecord& s : snapshots) {
        if (s.refcount != 0 || parents.count(s.id) || held.count(s.id)) continue;
        if (s.kind != SnapshotKind::kCommitted) continue;  // an active one belongs to a build
        BT_TRY(txn.DeleteSnapshot(s.id));
        doomed_snapshots.push_back(s.id);
        changed = true;
      }
    }
    return DropStatCaches(txn, options, &report);
  }));
  // Commits flush their meta page lazily (MetadataDb): the deletions must be durable before
  // the directories and blobs they free go.
  BT_TRY(root.db().Sync());
  BT_TRY(root.db().Update([&](WriteTxn& txn) -> Result<void> {
    BT_ASSIGN_OR_RETURN(const HeldByLeases leased, HeldByLiveLeases(txn, root.path()));
    return SweepBlobs(root, txn, leased.blobs, &report);
  }));
  for (const std::string& id : doomed_snapshots) {
    BT_TRY(root.snapshots().Remove(id));
    ++report.snapshots_removed;
  }
  BT_ASSIGN_OR_RETURN(report.abandoned_ingests_removed, root.content().RemoveAbandonedIngests());
  BT_ASSIGN_OR_RETURN(report.scratch_dirs_removed, RemoveAbandonedScratchDirs(root));
  // Cache mounts have no last-use time or size budget of their own: like BuildKit's
  // exec.cachemount records they go when the prune is not limited, unless a build holds them.
  if (!options.keep_bytes && !options.unused_for) {
    BT_ASSIGN_OR_RETURN(const CacheMountUsage mounts, PruneCacheMounts(root.cache_mounts_dir()));
    report.cache_mounts_removed = mounts.instances;
    report.cache_mount_bytes_freed = mounts.bytes;
  }
  return report;
}

}  // namespace bt::cache
