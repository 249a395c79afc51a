// CacheRoot opens the three stores of a root; ComputeDiskUsage sums the cache records, most
// recently used first, and counts a record held by a live lease as not reclaimable.
#include "cache/cache_root.h"

#include <catch2/catch.hpp>

#include "base/temp_dir.h"
#include "cache/lease.h"

namespace bt::cache {
namespace {

CacheRecord Record(const std::string& name, const std::string& snapshot, std::uint64_t size,
                   int age_seconds) {
  CacheRecord r;
  r.key = oci::Digest::Of(name);
  r.snapshot_ids = {snapshot};
  r.size_bytes = size;
  r.created = std::chrono::system_clock::now() - std::chrono::seconds(age_seconds);
  r.last_used = r.created;
  r.description = name;
  return r;
}

TEST_CASE("disk usage sums records and excludes what a live build holds", "[cache][du]") {
  Result<TempDir> dir = TempDir::Create("", "bt-root-");
  REQUIRE(dir.has_value());
  Result<CacheRoot> root = CacheRoot::Open(dir->path() + "/root");
  REQUIRE(root.has_value());
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    const std::string id = *root->snapshots().Prepare(std::nullopt);
    REQUIRE(root->snapshots().Commit(id).has_value());
    ids.push_back(id);
  }
  Result<Lease> lease = Lease::Acquire(root->db());
  REQUIRE(lease.has_value());
  REQUIRE(root->db()
              .Update([&](WriteTxn& txn) -> Result<void> {
                for (const std::string& id : ids) {
                  SnapshotRecord s;
                  s.id = id;
                  s.kind = SnapshotKind::kCommitted;
                  BT_TRY(txn.PutSnapshot(s));
                }
                BT_TRY(txn.PutCacheRecord(Record("RUN old", ids[0], 1000, 3600)));
                BT_TRY(txn.PutCacheRecord(Record("RUN new", ids[1], 24, 10)));
                return lease->AddSnapshot(txn, ids[1]);
              })
              .has_value());
  REQUIRE(root->content().BeginIngest("blob").has_value());

  const Result<DiskUsage> usage = ComputeDiskUsage(*root);
  REQUIRE(usage.has_value());
  REQUIRE(usage->entries.size() == 2);
  CHECK(usage->entries[0].record.description == "RUN new");  // most recently used first
  CHECK(usage->entries[0].leased);
  CHECK_FALSE(usage->entries[1].leased);
  CHECK(usage->records_bytes == 1024);
  CHECK(usage->reclaimable_bytes == 1000);
  CHECK(usage->blob_count == 0);  // an unfinished ingest is not a blob

  REQUIRE(lease->Release().has_value());
  CHECK(ComputeDiskUsage(*root)->reclaimable_bytes == 1024);
}

}  // namespace
}  // namespace bt::cache
