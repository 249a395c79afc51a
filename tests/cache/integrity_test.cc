// CheckIntegrity finds each kind of damage a crash or a stray edit leaves, and --repair
// drops what cannot be trusted so that a second check is clean (SECURITY.md case 40).
#include "cache/integrity.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"

namespace bt::cache {
namespace {

TEST_CASE("every kind of damage is found and repaired", "[cache][integrity]") {
  TempDir dir = *TempDir::Create("", "bt-check-");
  CacheRoot root = *CacheRoot::Open(dir.path() + "/root");

  // A blob altered on disk.
  IngestWriter w = *root.content().BeginIngest("blob");
  REQUIRE(w.Write("good bytes").has_value());
  REQUIRE(w.Commit(std::nullopt, std::nullopt).has_value());
  const oci::Digest blob = oci::Digest::Of("good bytes");
  const std::string blob_path = root.content().BlobPath(blob);
  ::chmod(blob_path.c_str(), 0644);
  std::ofstream(blob_path) << "evil bytes";

  // A snapshot directory no record knows, and one never committed (a crash mid-build).
  const std::string unrecorded = *root.snapshots().Prepare(std::nullopt);
  REQUIRE(root.snapshots().Commit(unrecorded).has_value());
  const std::string abandoned = *root.snapshots().Prepare(std::nullopt);

  // A recorded snapshot whose directory vanished, with a cache record using it.
  const std::string gone = *root.snapshots().Prepare(std::nullopt);
  REQUIRE(root.snapshots().Commit(gone).has_value());
  CacheRecord record;
  record.key = oci::Digest::Of("RUN x");
  record.snapshot_ids = {gone};
  REQUIRE(root.db()
              .Update([&](WriteTxn& txn) -> Result<void> {
                SnapshotRecord s;
                s.id = gone;
                s.kind = SnapshotKind::kCommitted;
                BT_TRY(txn.PutSnapshot(s));
                return txn.PutCacheRecord(record);
              })
              .has_value());
  REQUIRE(root.snapshots().Remove(gone).has_value());

  // A cache record whose snapshot is fine but whose exported layer is the altered blob.
  const std::string fine = *root.snapshots().Prepare(std::nullopt);
  REQUIRE(root.snapshots().Commit(fine).has_value());
  CacheRecord needs_blob;
  needs_blob.key = oci::Digest::Of("COPY y");
  needs_blob.snapshot_ids = {fine};
  needs_blob.blobs = {blob};
  REQUIRE(root.db()
              .Update([&](WriteTxn& txn) -> Result<void> {
                SnapshotRecord s;
                s.id = fine;
                s.kind = SnapshotKind::kCommitted;
                BT_TRY(txn.PutSnapshot(s));
                return txn.PutCacheRecord(needs_blob);
              })
              .has_value());

  const Result<IntegrityReport> found = CheckIntegrity(root, RepairMode::kReportOnly);
  REQUIRE(found.has_value());
  std::multiset<DamageKind> kinds;
  for (const Damage& d : found->damage) kinds.insert(d.kind);
  CHECK(kinds.count(DamageKind::kCorruptBlob) == 1);
  CHECK(kinds.count(DamageKind::kUnrecordedSnapshot) == 2);
  CHECK(kinds.count(DamageKind::kMissingSnapshotDir) == 1);
  CHECK(kinds.count(DamageKind::kDanglingCacheRecord) == 2);
  // Reporting changes nothing.
  CHECK(root.content().Contains(blob));
  CHECK(CheckIntegrity(root, RepairMode::kReportOnly)->damage.size() == 6);

  REQUIRE(CheckIntegrity(root, RepairMode::kRepair).has_value());
  const Result<IntegrityReport> after = CheckIntegrity(root, RepairMode::kReportOnly);
  REQUIRE(after.has_value());
  CHECK(after->damage.empty());
  CHECK_FALSE(root.content().Contains(blob));
  CHECK(*root.snapshots().List() == std::vector<std::string>{fine});  // kept, record-less now
  CHECK(root.db().BeginRead()->ListCacheRecords()->empty());
  (void)abandoned;
}

TEST_CASE("a clean root has nothing to report", "[cache][integrity]") {
  TempDir dir = *TempDir::Create("", "bt-check-");
  CacheRoot root = *CacheRoot::Open(dir.path() + "/root");
  const std::string s = *root.snapshots().Prepare(std::nullopt);
  REQUIRE(root.snapshots().Commit(s).has_value());
  REQUIRE(root.db()
              .Update([&](WriteTxn& txn) {
                SnapshotRecord r;
                r.id = s;
                r.kind = SnapshotKind::kCommitted;
                return txn.PutSnapshot(r);
              })
              .has_value());
  const Result<IntegrityReport> report = CheckIntegrity(root, RepairMode::kReportOnly);
  REQUIRE(report.has_value());
  CHECK(report->damage.empty());
  CHECK(report->snapshots_checked == 1);
}

}  // namespace
}  // namespace bt::cache

namespace bt::cache {
namespace {

TEST_CASE("a corrupt DB is set aside and the root opens again", "[cache][integrity]") {
  TempDir dir = *TempDir::Create("", "bt-check-");
  const std::string path = dir.path() + "/root";
  {
    CacheRoot root = *CacheRoot::Open(path);
    const std::string s = *root.snapshots().Prepare(std::nullopt);
    REQUIRE(root.snapshots().Commit(s).has_value());
  }
  std::ofstream(path + "/db/data.mdb", std::ios::trunc) << std::string(64 << 10, 'G');
  Result<CacheRoot> broken = CacheRoot::Open(path);
  REQUIRE_FALSE(broken.has_value());
  REQUIRE(broken.error().code == ErrorCode::kDataLoss);
  const Result<std::string> aside = SetAsideCorruptDb(path);
  REQUIRE(aside.has_value());
  CHECK(::access((*aside + "/data.mdb").c_str(), F_OK) == 0);  // kept for a post-mortem
  Result<CacheRoot> root = CacheRoot::Open(path);
  REQUIRE(root.has_value());
  // The snapshot lost its record with the DB: a repair drops it.
  REQUIRE(CheckIntegrity(*root, RepairMode::kRepair).has_value());
  CHECK(root->snapshots().List()->empty());
}

}  // namespace
}  // namespace bt::cache
