// The integrity check behind `buildtool du --check [--repair]` (SECURITY.md case 40, as
// `podman system check` does it): every kind of damage a crash, a full disk or a stray
// edit can leave in a root, and a repair that drops whatever cannot be trusted.
//   - a blob whose bytes no longer match its digest (re-hashed)      -> blob deleted
//   - a snapshot directory without a committed record, or not committed -> directory removed
//     (unless a live lease holds it: a build is still writing it)
//   - a snapshot record whose directory is missing                   -> record dropped
//   - a cache record naming a snapshot or blob that is not there     -> record dropped
//     (a corrupt blob counts as not there)
// A DB that cannot be opened at all is reported by CacheRoot::Open (kDataLoss);
// SetAsideCorruptDb moves it away (db/ -> db.corrupt-<unix time>/) so that the root opens
// with an empty DB, after which a repair drops every snapshot that lost its record.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "cache/cache_root.h"

namespace bt::cache {

enum class DamageKind {
  kCorruptBlob,
  kUnrecordedSnapshot,
  kMissingSnapshotDir,
  kDanglingCacheRecord,
};

struct Damage {
  DamageKind kind;
  std::string what;  // the blob digest, snapshot id or cache key
  std::string detail;
};

enum class RepairMode { kReportOnly, kRepair };

struct IntegrityReport {
  std::vector<Damage> damage;  // found (and, with kRepair, repaired)
  std::size_t blobs_checked = 0;
  std::size_t snapshots_checked = 0;
  std::size_t records_checked = 0;
};

Result<IntegrityReport> CheckIntegrity(CacheRoot& root, RepairMode mode);

std::string_view DamageKindName(DamageKind kind);

// Renames <root>/db to <root>/db.corrupt-<seconds since the epoch>; returns the new path.
// Only for a DB that failed to open with kDataLoss: nothing is deleted, for post-mortems.
Result<std::string> SetAsideCorruptDb(const std::string& root);

}  // namespace bt::cache
