// Lease: a build's hold on snapshots and blobs, which prune must leave alone (SECURITY.md
// decision 5). The lease is <root>/leases/<id>.lock, on which the holding process keeps an
// exclusive flock for the lease's whole life, plus a record in the metadata DB listing what it
// holds. The kernel drops that lock when the process dies, even by kill -9, so liveness is "is
// the lock file locked", never "is owner_pid running" (pids are reused). LiveLeases reports each
// recorded lease live or stale; ReapStaleLeases deletes the stale ones. A Lease is move-only and
// used by one thread at a time; LiveLeases and ReapStaleLeases may run from any thread or
// process at any time.
//
// The record is written by the first write transaction that adds something to the lease, and
// left behind, stale, when the lease is released: a fully cached build then commits once, not
// three times (a commit is an fdatasync, about half a millisecond here). Stale records are
// deleted by the next lease that records itself and by prune.
//
// Layout: <root>/leases/ (mode 0700) holds one `<id>.lock` (empty, mode 0600) per lease, id as
// IsValidLeaseId. Checks build the path from the record's id, never from its lock_path field,
// so a damaged record cannot point the reaper at a file outside leases/. Protocol, which makes
// every interleaving safe: a holder locks its file before it writes the record and unlinks the
// file before it lets the lock go; a record whose file is missing or unlocked holds nothing;
// the reaper removes only files it holds the lock on.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/file_lock.h"
#include "base/result.h"
#include "cache/metadata_db.h"
#include "cache/metadata_records.h"
#include "oci/digest.h"

namespace bt::cache {

class Lease {
 public:
  // Creates a lease with a fresh random id: locks <root>/leases/<id>.lock. Writes nothing to
  // the DB (see above). `db` must outlive the Lease. kIo when the lock file cannot be made.
  static Result<Lease> Acquire(MetadataDb& db);

  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  // Release(), with any failure dropped: the lock goes away regardless.
  ~Lease();

  const std::string& id() const { return id_; }
  const std::string& lock_path() const { return lock_path_; }

  // Adds a snapshot or blob to what the lease protects, inside `txn` (of the same DB), so a
  // build can record a new snapshot and protect it atomically; the first call also writes the
  // record, and deletes the records of released leases. Adding twice is a no-op.
  // kFailedPrecondition when the lease was released; kInvalidArgument for a malformed id.
  Result<void> AddSnapshot(WriteTxn& txn, const std::string& snapshot_id);
  Result<void> AddBlob(WriteTxn& txn, const oci::Digest& blob);

  // Unlinks the lock file and drops the lock; the record, if any, is stale from then on and
  // holds nothing. No DB write. Idempotent. In a process other than the one that acquired the
  // lease (a fork()ed child), it only closes that process's descriptor.
  Result<void> Release();

 private:
  Lease(MetadataDb* db, std::string id, FileLock lock);
  // This lease's record in `txn`, written first if missing (see AddSnapshot).
  Result<LeaseRecord> RecordIn(WriteTxn& txn);

  MetadataDb* db_ = nullptr;         // null once released or moved from
  std::string id_;
  std::string lock_path_;            // <root>/leases/<id>.lock
  std::optional<FileLock> lock_;     // engaged while the lease is held
  pid_t owner_pid_ = 0;              // the process that acquired the lease
  Timestamp created_{};
};

enum class LeaseState {
  kLive,   // its lock file is locked: the holder is running
  kStale,  // nobody holds the lock (the holder died) or the lock file is missing
};

struct LeaseStatus {
  LeaseRecord record;
  LeaseState state = LeaseState::kStale;
};

// Every lease recorded in `txn`, each probed live or stale (a non-blocking shared flock).
// Passing the prune's own WriteTxn lets it decide and delete against one consistent state. A
// probe racing with a release or a reap may call a lease live that is just going away, never
// the reverse. `root` is the cache root of the DB. kIo when a probe fails for another reason.
Result<std::vector<LeaseStatus>> LiveLeases(const ReadTxn& txn, const std::string& root);
// The same in a read transaction of its own.
Result<std::vector<LeaseStatus>> LiveLeases(MetadataDb& db);

// What live leases hold in `txn` (what prune, du and the integrity check must leave alone);
// stale leases hold nothing.
struct HeldByLeases {
  std::set<std::string> snapshot_ids;
  std::set<oci::Digest> blobs;
};
Result<HeldByLeases> HeldByLiveLeases(const ReadTxn& txn, const std::string& root);

struct ReapReport {
  std::vector<std::string> reaped_ids;  // stale lease records deleted, in id order
  std::size_t orphan_lock_files = 0;    // unlocked lock files without a record, removed
};

// Whether the lease `id` of the cache root `root` is held right now (its lock file is locked),
// whether or not it has a record yet. kIo when the probe fails for another reason.
Result<bool> LeaseIsLive(const std::string& root, std::string_view id);

// Deletes the records and lock files of stale leases, and lock files no record names that no
// one holds (left by a crash before the unlink, or by a lease that never recorded). Live leases are
// untouched. Runs its own write transaction: the calling thread must hold none.
Result<ReapReport> ReapStaleLeases(MetadataDb& db);

}  // namespace bt::cache
