#include "cache/integrity.h"

#include <cerrno>
#include <cstdio>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "cache/lease.h"

namespace bt::cache {

std::string_view DamageKindName(DamageKind kind) {
  switch (kind) {
    case DamageKind::kCorruptBlob: return "corrupt blob";
    case DamageKind::kUnrecordedSnapshot: return "snapshot without record";
    case DamageKind::kMissingSnapshotDir: return "record without snapshot";
    case DamageKind::kDanglingCacheRecord: return "cache record without its snapshot or blob";
  }
  return "damage";
}

Result<std::string> SetAsideCorruptDb(const std::string& root) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  const std::string from = root + "/db";
  const std::string to = root + "/db.corrupt-" + std::to_string(seconds);
  if (std::rename(from.c_str(), to.c_str()) != 0) return ErrnoError("rename", from, errno);
  return to;
}

Result<IntegrityReport> CheckIntegrity(CacheRoot& root, RepairMode mode) {
  IntegrityReport report;
  const bool repair = mode == RepairMode::kRepair;

  // Blobs: re-hash every one.
  BT_ASSIGN_OR_RETURN(std::vector<oci::Digest> blobs, root.content().Walk());
  std::set<oci::Digest> sound_blobs;
  for (const oci::Digest& d : blobs) {
    ++report.blobs_checked;
    Result<void> ok = root.content().Verify(d);
    if (ok) {
      sound_blobs.insert(d);
      continue;
    }
    if (ok.error().code != ErrorCode::kDataLoss) return std::move(ok).error();
    report.damage.push_back({DamageKind::kCorruptBlob, d.ToString(), ok.error().message});
    if (repair) BT_TRY(root.content().Delete(d));
  }

  // Snapshots and records, against one consistent DB state.
  std::vector<std::string> remove_dirs;
  BT_TRY(root.db().Update([&](WriteTxn& txn) -> Result<void> {
    report.damage.erase(std::remove_if(report.damage.begin(), report.damage.end(),
                                       [](const Damage& d) {
                                         return d.kind != DamageKind::kCorruptBlob;
                                       }),
                        report.damage.end());
    remove_dirs.clear();
    BT_ASSIGN_OR_RETURN(const HeldByLeases leased, HeldByLiveLeases(txn, root.path()));
    const std::set<std::string>& held = leased.snapshot_ids;
    BT_ASSIGN_OR_RETURN(std::vector<SnapshotRecord> records, txn.ListSnapshots());
    BT_ASSIGN_OR_RETURN(std::vector<std::string> dirs, root.snapshots().List());
    std::set<std::string> recorded;
    for (const SnapshotRecord& r : records) recorded.insert(r.id);
    std::set<std::string> present;
    for (const std::string& id : dirs) {
      ++report.snapshots_checked;
      const bool committed = root.snapshots().IsCommitted(id);
      if ((committed && recorded.count(id)) || held.count(id)) {
        present.insert(id);
        continue;
      }
      report.damage.push_back({DamageKind::kUnrecordedSnapshot, id,
                               committed ? "no record" : "never committed"});
      remove_dirs.push_back(id);
    }
    // A record whose directory is gone, and every cache record that needs it.
    std::set<std::string> missing;
    for (const SnapshotRecord& r : records) {
      if (!present.count(r.id) && r.kind == SnapshotKind::kCommitted) missing.insert(r.id);
    }
    BT_ASSIGN_OR_RETURN(std::vector<CacheRecord> cache_records, txn.ListCacheRecords());
    for (const CacheRecord& c : cache_records) {
      ++report.records_checked;
      std::optional<std::string> why;
      for (const std::string& id : c.snapshot_ids) {
        if (missing.count(id)) why = "snapshot " + id + " is missing";
      }
      for (const oci::Digest& blob : c.blobs) {
        if (!sound_blobs.count(blob)) why = "blob " + blob.ToString() + " is missing or corrupt";
      }
      if (!why) continue;
      report.damage.push_back({DamageKind::kDanglingCacheRecord, c.key.ToString(), *why});
      if (repair) BT_TRY(txn.DeleteCacheRecord(c.key));
    }
    for (const std::string& id : missing) {
      report.damage.push_back({DamageKind::kMissingSnapshotDir, id, "directory missing"});
    }
    if (repair) {
      // Children before parents: a snapshot whose parent is missing goes first.
      for (bool changed = true; changed;) {
        changed = false;
        BT_ASSIGN_OR_RETURN(std::vector<SnapshotRecord> left, txn.ListSnapshots());
        for (const SnapshotRecord& r : left) {
          const bool parent_missing = r.parent && missing.count(*r.parent);
          if (!missing.count(r.id) && !parent_missing) continue;
          Result<void> deleted = txn.DeleteSnapshot(r.id);
          if (!deleted) continue;  // still has children or records: next round
          if (parent_missing && !missing.count(r.id)) remove_dirs.push_back(r.id);
          changed = true;
        }
      }
    }
    return {};
  }));
  if (repair) {
    BT_TRY(root.db().Sync());  // the records' repair is durable before directories go
    for (const std::string& id : remove_dirs) BT_TRY(root.snapshots().Remove(id));
  }
  return report;
}

}  // namespace bt::cache
