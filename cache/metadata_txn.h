// ReadTxn and WriteTxn: transactions on the metadata DB (cache/metadata_db.h), as RAII objects
// that abort on destruction unless committed. A ReadTxn sees one consistent state for its whole
// life and may move between threads (the environment uses MDB_NOTLS), used by one at a time. A
// WriteTxn must be used, committed and destroyed on the thread that began it (LMDB's writer
// lock belongs to that thread); only one is open at a time across every process on the root.
// Keep transactions short: an open reader pins old pages, an open writer blocks all writers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cache/metadata_records.h"
#include "oci/digest.h"

struct MDB_txn;

namespace bt::cache {

class MetadataDb;
namespace internal {
struct MetadataDbState;
}  // namespace internal

// Reads. Getters return nullopt for a missing record; kDataLoss names a record that does not
// decode, kFailedPrecondition one written by a newer buildtool, kIo a failed LMDB read.
class ReadTxn {
 public:
  ReadTxn(ReadTxn&& other) noexcept;
  ReadTxn& operator=(ReadTxn&& other) noexcept;
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  ~ReadTxn();  // aborts unless committed (WriteTxn) or ended

  Result<std::optional<CacheRecord>> GetCacheRecord(const oci::Digest& key) const;
  // Every cache record, in key order.
  Result<std::vector<CacheRecord>> ListCacheRecords() const;

  Result<std::optional<SnapshotRecord>> GetSnapshot(std::string_view id) const;
  // Every snapshot record, in id order.
  Result<std::vector<SnapshotRecord>> ListSnapshots() const;

  Result<std::optional<LeaseRecord>> GetLease(std::string_view id) const;
  // Every lease record, live or stale alike (see cache/lease.h for liveness), in id order.
  Result<std::vector<LeaseRecord>> ListLeases() const;

  // A build context's stat cache (cache/stat_cache.h): its head, and its entries in path order.
  Result<std::optional<StatCacheContext>> GetStatCacheContext(const ContextKey& key) const;
  Result<std::vector<StatCacheEntry>> ListStatCacheEntries(const ContextKey& key) const;
  // The head of every context that has a stat cache, in key order.
  Result<std::vector<StatCacheContext>> ListStatCacheContexts() const;

 protected:
  ReadTxn(internal::MetadataDbState* state, MDB_txn* txn) : state_(state), txn_(txn) {}
  // Aborts the LMDB transaction (if still open) and lets the map grow again.
  void End();

  internal::MetadataDbState* state_ = nullptr;  // owned by the MetadataDb, which outlives us
  MDB_txn* txn_ = nullptr;                      // null once ended, committed or moved from

 private:
  friend class MetadataDb;
};

// Writes, on top of the reads (which see this transaction's own writes). Nothing is visible to
// others, or durable, before Commit(). Once any call failed with kUnavailable (map full) or
// kIo, LMDB refuses further writes and Commit() fails: abort and retry (MetadataDb::Update).
class WriteTxn : public ReadTxn {
 public:
  WriteTxn(WriteTxn&&) noexcept = default;
  WriteTxn& operator=(WriteTxn&&) noexcept = default;

  // Inserts or replaces the record under record.key and moves refcounts from the snapshots
  // of the replaced record (if any) to those of the new one. kInvalidArgument for a zero key,
  // a malformed snapshot id or output metadata over kMaxOutputMetadataSize; kNotFound when a
  // named snapshot has no record; kFailedPrecondition when one is not committed.
  Result<void> PutCacheRecord(const CacheRecord& record);
  // Removes the record and releases its snapshots' refcounts. kNotFound when absent.
  Result<void> DeleteCacheRecord(const oci::Digest& key);
  // Sets last_used (a cache hit). kNotFound when absent.
  Result<void> TouchLastUsed(const oci::Digest& key, Timestamp when);

  // Inserts or updates a snapshot record; the stored refcount is kept (0 for a new record),
  // whatever record.refcount says. kInvalidArgument for a malformed id or parent id, or a
  // snapshot that is its own parent; kNotFound when the parent has no record;
  // kFailedPrecondition when the parent is not committed, or for an update that changes the
  // parent or turns a committed snapshot back into an active one.
  Result<void> PutSnapshot(const SnapshotRecord& record);
  // kNotFound when absent; kFailedPrecondition while a cache record names it or another
  // snapshot has it as parent. Scans the snapshot records for children (linear).
  Result<void> DeleteSnapshot(std::string_view id);

  // Inserts or replaces a lease record. kInvalidArgument for a malformed lease or snapshot id.
  Result<void> PutLease(const LeaseRecord& record);
  // kNotFound when absent.
  Result<void> DeleteLease(std::string_view id);

  // The stat cache of a build context. PutStatCacheEntry and DeleteStatCacheEntry refuse an
  // empty path (kInvalidArgument); deleting an absent entry succeeds. DeleteStatCache removes
  // a context's head and every entry.
  Result<void> PutStatCacheContext(const StatCacheContext& context);
  Result<void> PutStatCacheEntry(const ContextKey& key, const StatCacheEntry& entry);
  Result<void> DeleteStatCacheEntry(const ContextKey& key, std::string_view path);
  Result<void> DeleteStatCache(const ContextKey& key);

  // Makes every write durable and visible. The transaction is over either way. kUnavailable
  // when the map filled (the next BeginWrite grows it); kIo (ENOSPC, EIO) otherwise.
  Result<void> Commit();
  // Whether a write or the commit of this transaction found the map full: the one failure
  // worth running the transaction again for, once the map has grown. Kept per transaction:
  // the process-wide grow request may already have been served by another thread's growth.
  bool hit_map_full() const { return map_full_; }

 private:
  friend class MetadataDb;
  WriteTxn(internal::MetadataDbState* state, MDB_txn* txn) : ReadTxn(state, txn) {}
  void MapFull();  // records the full map here and asks the DB to grow
  bool map_full_ = false;

  Result<void> Put(unsigned dbi, std::string_view key, std::string_view value,
                   std::string_view what);
  Result<void> Delete(unsigned dbi, std::string_view key, std::string_view what);
  Result<void> AdjustRefcount(const std::string& snapshot_id, int delta);
};

}  // namespace bt::cache
