// MetadataDb: the cache root's metadata (cache records, snapshots, leases, stat caches) in one LMDB
// environment under <root>/db/. Several buildtool processes may use it at once: LMDB's lock
// file serializes writers across processes and tracks readers. One MetadataDb per root per
// process (LMDB breaks its own fcntl locks if a process opens an environment twice); share it
// between threads. Thread-safe; the transactions it hands out are not (cache/metadata_txn.h).
//
// On-disk schema (version 1)
//   <root>/db/data.mdb, <root>/db/lock.mdb   LMDB's files (mode 0600; db/ is 0700)
//   Named sub-databases, keys compared bytewise:
//     "meta"          "schema_version" -> u32 little-endian, 1. Written by the first Open;
//                     a larger value is kFailedPrecondition (a newer buildtool's DB).
//     "cache_records" 32 raw bytes of the cache key digest -> cache record
//     "snapshots"     snapshot id (12 lowercase hex, IsValidSnapshotId) -> snapshot record
//     "leases"        lease id (32 lowercase hex, IsValidLeaseId) -> lease record
//     "stat_cache"    16-byte ContextKey -> stat cache context (the head);
//                     16-byte ContextKey + context-relative path -> stat cache entry
//                     (added within version 1: opening creates it in an older DB)
//   Value encodings (each starting with its own version byte) are defined and explained in
//   cache/metadata_encoding.h. Invariants kept by every WriteTxn (cache/metadata_txn.h): each
//   snapshot a cache record names has a committed snapshot record; a snapshot's refcount is
//   the number of cache records naming it; a snapshot's parent has a committed record.
//
// Crashes. Every commit flushes its data pages (no MDB_NOSYNC, unlike BuildKit's bbolt with
// NoSync that corrupted after crashes, moby/buildkit#4909); the meta page that points at them
// is flushed by the next commit (MDB_NOMETASYNC, one flush per commit instead of two), so a
// power loss may undo the last commit but never corrupt the DB — a cache may redo work, it
// never trusts a half-written result. LMDB's copy-on-write pages mean a process
// killed at any point, even with kill -9 inside a write transaction, leaves the last committed
// state; its writer lock is recovered through LMDB's robust mutexes, and stale reader slots
// are cleared by Open (mdb_reader_check). A damaged data file is kDataLoss from Open; setting
// it aside and recreating it is the caller's decision (`du --check --repair`).
//
// Map size. LMDB maps the file with a fixed maximum size. A write that fills it marks the map
// for growth (doubling, up to max_map_size); the transaction fails with kUnavailable and the
// next BeginWrite grows the map first, so Update() just runs its function again. Growth needs
// every transaction of this process closed (mdb_env_set_mapsize), so a thread must not hold a
// transaction while it begins a write transaction. Another process's growth is adopted when a
// transaction begins (MDB_MAP_RESIZED). Disk full is kIo with sys_errno ENOSPC and leaves the
// last committed state.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "cache/metadata_txn.h"

namespace bt::cache {

struct MetadataDbOptions {
  std::size_t initial_map_size = std::size_t{64} << 20;  // rounded up to whole pages
  std::size_t max_map_size = std::size_t{64} << 30;      // growth stops here
};

class MetadataDb {
 public:
  // Opens (creating when missing) <root>/db/. kIo when the directory or files cannot be
  // made; kDataLoss when the data file is not a valid LMDB file; kFailedPrecondition for a
  // schema newer than this build.
  static Result<MetadataDb> Open(const std::string& root, const MetadataDbOptions& options = {});

  MetadataDb(MetadataDb&&) noexcept;
  MetadataDb& operator=(MetadataDb&&) noexcept;
  MetadataDb(const MetadataDb&) = delete;
  MetadataDb& operator=(const MetadataDb&) = delete;
  // Every transaction must have ended before the DB is destroyed.
  ~MetadataDb();

  // A consistent snapshot of the DB that never blocks writers or other readers.
  Result<ReadTxn> BeginRead();
  // Blocks until no other write transaction, in this process or another, is open.
  Result<WriteTxn> BeginWrite();

  // Runs `fn` in a new write transaction and commits it. When the map fills (in `fn` or in
  // the commit), the map grows and `fn` runs again on a fresh transaction, so `fn` must derive
  // everything from what it reads in the transaction. Any other error from `fn` or the commit
  // aborts and is returned.
  Result<void> Update(const std::function<Result<void>(WriteTxn&)>& fn);

  // Makes every commit so far durable, the last one's meta page included. Call it before
  // acting on a commit outside the DB in a way a power loss must not undo (prune deletes
  // snapshot directories and blobs only once their records' deletion is durable).
  Result<void> Sync();

  const std::string& root() const;
  // The current map size in bytes (grows; see above).
  std::size_t map_size() const;

 private:
  explicit MetadataDb(std::unique_ptr<internal::MetadataDbState> state);
  Result<void> GrowIfRequested();
  Result<void> AdoptMapSize();

  std::unique_ptr<internal::MetadataDbState> state_;  // stable address for the transactions
};

}  // namespace bt::cache
