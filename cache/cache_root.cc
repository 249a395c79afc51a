#include "cache/cache_root.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "cache/cache_mounts.h"
#include "cache/lease.h"

namespace bt::cache {

Result<CacheRoot> CacheRoot::Open(const std::string& path, SnapshotterKind snapshotter) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoError("mkdir", path, errno);
  const std::string tmp = path + "/tmp";
  if (::mkdir(tmp.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoError("mkdir", tmp, errno);
  CacheRoot root;
  root.path_ = path;
  BT_ASSIGN_OR_RETURN(ContentStore content, ContentStore::Open(path));
  root.content_ = std::make_unique<ContentStore>(std::move(content));
  BT_ASSIGN_OR_RETURN(SnapshotStore snapshots, SnapshotStore::Open(path, snapshotter));
  root.snapshots_ = std::make_unique<SnapshotStore>(std::move(snapshots));
  BT_ASSIGN_OR_RETURN(MetadataDb db, MetadataDb::Open(path));
  root.db_ = std::make_unique<MetadataDb>(std::move(db));
  return root;
}

Result<DiskUsage> ComputeDiskUsage(CacheRoot& root) {
  DiskUsage usage;
  {
    BT_ASSIGN_OR_RETURN(ReadTxn txn, root.db().BeginRead());
    BT_ASSIGN_OR_RETURN(std::vector<CacheRecord> records, txn.ListCacheRecords());
    BT_ASSIGN_OR_RETURN(const HeldByLeases leased, HeldByLiveLeases(txn, root.path()));
    const std::set<std::string>& held = leased.snapshot_ids;
    for (CacheRecord& record : records) {
      DiskUsageEntry entry;
      for (const std::string& id : record.snapshot_ids) entry.leased |= held.count(id) > 0;
      usage.records_bytes += record.size_bytes;
      if (!entry.leased) usage.reclaimable_bytes += record.size_bytes;
      entry.record = std::move(record);
      usage.entries.push_back(std::move(entry));
    }
  }
  std::sort(usage.entries.begin(), usage.entries.end(),
            [](const DiskUsageEntry& a, const DiskUsageEntry& b) {
              return a.record.last_used > b.record.last_used;
            });
  BT_ASSIGN_OR_RETURN(std::vector<oci::Digest> blobs, root.content().Walk());
  for (const oci::Digest& d : blobs) {
    BT_ASSIGN_OR_RETURN(std::uint64_t size, root.content().Size(d));
    usage.blob_bytes += size;
    ++usage.blob_count;
  }
  BT_ASSIGN_OR_RETURN(const CacheMountUsage mounts, MeasureCacheMounts(root.cache_mounts_dir()));
  usage.cache_mount_bytes = mounts.bytes;
  usage.cache_mount_count = mounts.instances;
  return usage;
}

}  // namespace bt::cache
