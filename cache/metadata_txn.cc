#include "cache/metadata_txn.h"

#include <lmdb.h>

#include <algorithm>
#include <set>
#include <utility>

#include "cache/metadata_db_state.h"
#include "cache/metadata_encoding.h"
#include "cache/snapshot/snapshot_store.h"

namespace bt::cache {
namespace {

using internal::LmdbError;

MDB_val Val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view View(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}
std::string_view KeyOf(const oci::Digest& d) {
  return std::string_view(reinterpret_cast<const char*>(d.bytes().data()), oci::Digest::kSize);
}

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

Result<std::optional<std::string_view>> GetRaw(MDB_txn* txn, MDB_dbi dbi, std::string_view key,
                                               std::string_view what) {
  MDB_val k = Val(key);
  MDB_val v;
  const int rc = mdb_get(txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>();
  if (rc != 0) return LmdbError(rc, "read", what);
  return std::optional<std::string_view>(View(v));
}

// Calls fn(key, value) for every entry of `dbi` in key order; stops at fn's first error.
template <typename Fn>
Result<void> ForEach(MDB_txn* txn, MDB_dbi dbi, std::string_view what, Fn fn) {
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn, dbi, &cursor);
  if (rc != 0) return LmdbError(rc, "list", what);
  struct Closer {
    MDB_cursor* c;
    ~Closer() { mdb_cursor_close(c); }
  } closer{cursor};
  MDB_val k;
  MDB_val v;
  for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    BT_TRY(fn(View(k), View(v)));
  }
  if (rc != MDB_NOTFOUND) return LmdbError(rc, "list", what);
  return {};
}

// An RAII LMDB cursor.
class Cursor {
 public:
  Cursor() = default;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor() {
    if (c_ != nullptr) mdb_cursor_close(c_);
  }
  Result<void> Open(MDB_txn* txn, MDB_dbi dbi, std::string_view what) {
    const int rc = mdb_cursor_open(txn, dbi, &c_);
    if (rc != 0) return LmdbError(rc, "list", what);
    return {};
  }
  // Positions at the first key >= `key`; MDB_NOTFOUND past the end. (LMDB refuses an empty
  // key for MDB_SET_RANGE, so the empty key means the first.)
  int Seek(std::string_view key, MDB_val* k, MDB_val* v) {
    if (key.empty()) return mdb_cursor_get(c_, k, v, MDB_FIRST);
    *k = Val(key);
    return mdb_cursor_get(c_, k, v, MDB_SET_RANGE);
  }
  int Next(MDB_val* k, MDB_val* v) { return mdb_cursor_get(c_, k, v, MDB_NEXT); }

 private:
  MDB_cursor* c_ = nullptr;
};

// Calls fn(key, value) for every entry of `dbi` whose key starts with `prefix`, in key order.
template <typename Fn>
Result<void> ForPrefix(MDB_txn* txn, MDB_dbi dbi, std::string_view prefix, std::string_view what,
                       Fn fn) {
  Cursor cursor;
  BT_TRY(cursor.Open(txn, dbi, what));
  MDB_val k;
  MDB_val v;
  int rc = cursor.Seek(prefix, &k, &v);
  for (; rc == 0 && View(k).substr(0, prefix.size()) == prefix; rc = cursor.Next(&k, &v)) {
    BT_TRY(fn(View(k), View(v)));
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError(rc, "list", what);
  return {};
}

std::string_view KeyOf(const ContextKey& key) {
  return std::string_view(reinterpret_cast<const char*>(key.data()), key.size());
}

// The smallest key greater than every key starting with `key` (all 0xff: nullopt, no such).
std::optional<std::string> PrefixEnd(std::string key) {
  while (!key.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(key.back());
    if (last != 0xff) {
      ++last;
      return key;
    }
    key.pop_back();
  }
  return std::nullopt;
}

Result<oci::Digest> DigestKey(std::string_view key) {
  if (key.size() != oci::Digest::kSize) {
    return MakeError(ErrorCode::kDataLoss, "cache records: corrupt key of " +
                                               std::to_string(key.size()) + " bytes");
  }
  std::array<std::uint8_t, oci::Digest::kSize> bytes{};
  std::copy(key.begin(), key.end(), bytes.begin());
  return oci::Digest(bytes);
}

std::set<std::string> Unique(const std::vector<std::string>& ids) {
  return std::set<std::string>(ids.begin(), ids.end());
}

}  // namespace

// ReadTxn

ReadTxn::ReadTxn(ReadTxn&& other) noexcept
    : state_(other.state_), txn_(std::exchange(other.txn_, nullptr)) {}

ReadTxn& ReadTxn::operator=(ReadTxn&& other) noexcept {
  if (this != &other) {
    End();
    state_ = other.state_;
    txn_ = std::exchange(other.txn_, nullptr);
  }
  return *this;
}

ReadTxn::~ReadTxn() { End(); }

void ReadTxn::End() {
  if (txn_ == nullptr) return;
  mdb_txn_abort(txn_);
  txn_ = nullptr;
  state_->ExitTxn();
}

Result<std::optional<CacheRecord>> ReadTxn::GetCacheRecord(const oci::Digest& key) const {
  BT_CHECK(txn_ != nullptr);
  BT_ASSIGN_OR_RETURN(std::optional<std::string_view> raw,
                      GetRaw(txn_, state_->cache_records, KeyOf(key),
                             "cache record " + key.ToString()));
  if (!raw) return std::optional<CacheRecord>();
  BT_ASSIGN_OR_RETURN(CacheRecord record, DecodeCacheRecord(key, *raw));
  return std::optional<CacheRecord>(std::move(record));
}

Result<std::vector<CacheRecord>> ReadTxn::ListCacheRecords() const {
  BT_CHECK(txn_ != nullptr);
  std::vector<CacheRecord> out;
  BT_TRY(ForEach(txn_, state_->cache_records, "cache records",
                 [&](std::string_view k, std::string_view v) -> Result<void> {
                   BT_ASSIGN_OR_RETURN(oci::Digest key, DigestKey(k));
                   BT_ASSIGN_OR_RETURN(CacheRecord record, DecodeCacheRecord(key, v));
                   out.push_back(std::move(record));
                   return {};
                 }));
  return out;
}

Result<std::optional<SnapshotRecord>> ReadTxn::GetSnapshot(std::string_view id) const {
  BT_CHECK(txn_ != nullptr);
  BT_ASSIGN_OR_RETURN(std::optional<std::string_view> raw,
                      GetRaw(txn_, state_->snapshots, id, "snapshot record " + std::string(id)));
  if (!raw) return std::optional<SnapshotRecord>();
  BT_ASSIGN_OR_RETURN(SnapshotRecord record, DecodeSnapshotRecord(id, *raw));
  return std::optional<SnapshotRecord>(std::move(record));
}

Result<std::vector<SnapshotRecord>> ReadTxn::ListSnapshots() const {
  BT_CHECK(txn_ != nullptr);
  std::vector<SnapshotRecord> out;
  BT_TRY(ForEach(txn_, state_->snapshots, "snapshot records",
                 [&](std::string_view k, std::string_view v) -> Result<void> {
                   BT_ASSIGN_OR_RETURN(SnapshotRecord record, DecodeSnapshotRecord(k, v));
                   out.push_back(std::move(record));
                   return {};
                 }));
  return out;
}

Result<std::optional<LeaseRecord>> ReadTxn::GetLease(std::string_view id) const {
  BT_CHECK(txn_ != nullptr);
  BT_ASSIGN_OR_RETURN(std::optional<std::string_view> raw,
                      GetRaw(txn_, state_->leases, id, "lease record " + std::string(id)));
  if (!raw) return std::optional<LeaseRecord>();
  BT_ASSIGN_OR_RETURN(LeaseRecord record, DecodeLeaseRecord(id, *raw));
  return std::optional<LeaseRecord>(std::move(record));
}

Result<std::vector<LeaseRecord>> ReadTxn::ListLeases() const {
  BT_CHECK(txn_ != nullptr);
  std::vector<LeaseRecord> out;
  BT_TRY(ForEach(txn_, state_->leases, "lease records",
                 [&](std::string_view k, std::string_view v) -> Result<void> {
                   BT_ASSIGN_OR_RETURN(LeaseRecord record, DecodeLeaseRecord(k, v));
                   out.push_back(std::move(record));
                   return {};
                 }));
  return out;
}

Result<std::optional<StatCacheContext>> ReadTxn::GetStatCacheContext(
    const ContextKey& key) const {
  BT_CHECK(txn_ != nullptr);
  BT_ASSIGN_OR_RETURN(std::optional<std::string_view> raw,
                      GetRaw(txn_, state_->stat_cache, KeyOf(key), "stat cache context"));
  if (!raw) return std::optional<StatCacheContext>();
  BT_ASSIGN_OR_RETURN(StatCacheContext context, DecodeStatCacheContext(key, *raw));
  return std::optional<StatCacheContext>(std::move(context));
}

Result<std::vector<StatCacheEntry>> ReadTxn::ListStatCacheEntries(const ContextKey& key) const {
  BT_CHECK(txn_ != nullptr);
  // Counted first, so the vector is allocated once: a context has thousands of entries, and
  // growing by doubling would copy them and fault in fresh pages a dozen times over.
  size_t count = 0;
  BT_TRY(ForPrefix(txn_, state_->stat_cache, KeyOf(key), "stat cache",
                   [&](std::string_view, std::string_view) -> Result<void> {
                     ++count;
                     return {};
                   }));
  std::vector<StatCacheEntry> out;
  out.reserve(count);
  BT_TRY(ForPrefix(txn_, state_->stat_cache, KeyOf(key), "stat cache",
                   [&](std::string_view k, std::string_view v) -> Result<void> {
                     if (k.size() == key.size()) return {};  // the context's head
                     BT_ASSIGN_OR_RETURN(StatCacheEntry entry,
                                         DecodeStatCacheEntry(k.substr(key.size()), v));
                     out.push_back(std::move(entry));
                     return {};
                   }));
  return out;
}

Result<std::vector<StatCacheContext>> ReadTxn::ListStatCacheContexts() const {
  BT_CHECK(txn_ != nullptr);
  std::vector<StatCacheContext> out;
  Cursor cursor;
  BT_TRY(cursor.Open(txn_, state_->stat_cache, "stat cache"));
  MDB_val k;
  MDB_val v;
  // Each context's head is its first key; jump from one head to the next over the entries.
  int rc = cursor.Seek(std::string_view(), &k, &v);
  while (rc == 0) {
    const std::string_view key = View(k);
    ContextKey context{};
    if (key.size() < context.size()) {
      return MakeError(ErrorCode::kDataLoss, "stat cache: corrupt key of " +
                                                 std::to_string(key.size()) + " bytes");
    }
    std::copy_n(key.begin(), context.size(), context.begin());
    if (key.size() == context.size()) {
      BT_ASSIGN_OR_RETURN(StatCacheContext head, DecodeStatCacheContext(context, View(v)));
      out.push_back(std::move(head));
    }
    const std::optional<std::string> next = PrefixEnd(std::string(KeyOf(context)));
    if (!next) break;
    rc = cursor.Seek(*next, &k, &v);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError(rc, "list", "stat cache");
  return out;
}

// WriteTxn

void WriteTxn::MapFull() {
  map_full_ = true;
  state_->RequestGrow();
}

Result<void> WriteTxn::Put(unsigned dbi, std::string_view key, std::string_view value,
                           std::string_view what) {
  BT_CHECK(txn_ != nullptr);
  MDB_val k = Val(key);
  MDB_val v = Val(value);
  const int rc = mdb_put(txn_, dbi, &k, &v, 0);
  if (rc == MDB_MAP_FULL) MapFull();
  if (rc != 0) return LmdbError(rc, "write", what);
  return {};
}

Result<void> WriteTxn::Delete(unsigned dbi, std::string_view key, std::string_view what) {
  BT_CHECK(txn_ != nullptr);
  MDB_val k = Val(key);
  const int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return MakeError(ErrorCode::kNotFound, std::string(what) + " not found");
  // Deleting can split pages of the free list, so it can fill the map too.
  if (rc == MDB_MAP_FULL) MapFull();
  if (rc != 0) return LmdbError(rc, "delete", what);
  return {};
}

Result<void> WriteTxn::PutStatCacheContext(const StatCacheContext& context) {
  return Put(state_->stat_cache, KeyOf(context.key), EncodeStatCacheContext(context),
             "stat cache context " + context.dir);
}

Result<void> WriteTxn::PutStatCacheEntry(const ContextKey& key, const StatCacheEntry& entry) {
  if (entry.path.empty()) return Invalid("stat cache entry: empty path");
  std::string k(KeyOf(key));
  k += entry.path;
  return Put(state_->stat_cache, k, EncodeStatCacheEntry(entry), "stat cache entry " + entry.path);
}

Result<void> WriteTxn::DeleteStatCacheEntry(const ContextKey& key, std::string_view path) {
  if (path.empty()) return Invalid("stat cache entry: empty path");
  std::string k(KeyOf(key));
  k += path;
  Result<void> deleted = Delete(state_->stat_cache, k, "stat cache entry");
  if (!deleted && deleted.error().code == ErrorCode::kNotFound) return {};
  return deleted;
}

Result<void> WriteTxn::DeleteStatCache(const ContextKey& key) {
  std::vector<std::string> keys;
  BT_TRY(ForPrefix(txn_, state_->stat_cache, KeyOf(key), "stat cache",
                   [&](std::string_view k, std::string_view) -> Result<void> {
                     keys.emplace_back(k);
                     return {};
                   }));
  for (const std::string& k : keys) BT_TRY(Delete(state_->stat_cache, k, "stat cache entry"));
  return {};
}

Result<void> WriteTxn::AdjustRefcount(const std::string& snapshot_id, int delta) {
  BT_ASSIGN_OR_RETURN(std::optional<SnapshotRecord> snapshot, GetSnapshot(snapshot_id));
  if (!snapshot) {
    // Releasing a reference to a record that is already gone (a damaged DB being repaired)
    // is not worth failing the delete over; taking one is checked by the caller first.
    if (delta < 0) return {};
    return MakeError(ErrorCode::kNotFound, "snapshot " + snapshot_id + " has no record");
  }
  if (delta < 0) {
    snapshot->refcount = snapshot->refcount > 0 ? snapshot->refcount - 1 : 0;
  } else {
    if (snapshot->refcount == UINT32_MAX) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "snapshot " + snapshot_id + ": refcount overflow");
    }
    ++snapshot->refcount;
  }
  return Put(state_->snapshots, snapshot_id, EncodeSnapshotRecord(*snapshot),
             "snapshot record " + snapshot_id);
}

Result<void> WriteTxn::PutCacheRecord(const CacheRecord& record) {
  if (record.key.is_zero()) return Invalid("put cache record: zero cache key");
  const std::string what = "cache record " + record.key.ToString();
  if (record.output_metadata.size() > kMaxOutputMetadataSize) {
    return Invalid(what + ": output metadata of " + std::to_string(record.output_metadata.size()) +
                   " bytes exceeds " + std::to_string(kMaxOutputMetadataSize));
  }
  for (const std::string& id : record.snapshot_ids) {
    if (!IsValidSnapshotId(id)) return Invalid(what + ": invalid snapshot id \"" + id + "\"");
  }
  // Check everything before the first write, so that a refused record changes nothing.
  const std::set<std::string> new_ids = Unique(record.snapshot_ids);
  for (const std::string& id : new_ids) {
    BT_ASSIGN_OR_RETURN(std::optional<SnapshotRecord> snapshot, GetSnapshot(id));
    if (!snapshot) {
      return MakeError(ErrorCode::kNotFound, what + ": snapshot " + id + " has no record");
    }
    if (snapshot->kind != SnapshotKind::kCommitted) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       what + ": snapshot " + id + " is not committed");
    }
  }
  BT_ASSIGN_OR_RETURN(std::optional<CacheRecord> old, GetCacheRecord(record.key));
  const std::set<std::string> old_ids = old ? Unique(old->snapshot_ids) : std::set<std::string>();
  for (const std::string& id : new_ids) {
    if (!old_ids.contains(id)) BT_TRY(AdjustRefcount(id, +1));
  }
  for (const std::string& id : old_ids) {
    if (!new_ids.contains(id)) BT_TRY(AdjustRefcount(id, -1));
  }
  return Put(state_->cache_records, KeyOf(record.key), EncodeCacheRecord(record), what);
}

Result<void> WriteTxn::DeleteCacheRecord(const oci::Digest& key) {
  BT_ASSIGN_OR_RETURN(std::optional<CacheRecord> old, GetCacheRecord(key));
  const std::string what = "cache record " + key.ToString();
  if (!old) return MakeError(ErrorCode::kNotFound, what + " not found");
  for (const std::string& id : Unique(old->snapshot_ids)) BT_TRY(AdjustRefcount(id, -1));
  return Delete(state_->cache_records, KeyOf(key), what);
}

Result<void> WriteTxn::TouchLastUsed(const oci::Digest& key, Timestamp when) {
  BT_ASSIGN_OR_RETURN(std::optional<CacheRecord> record, GetCacheRecord(key));
  const std::string what = "cache record " + key.ToString();
  if (!record) return MakeError(ErrorCode::kNotFound, what + " not found");
  record->last_used = when;
  return Put(state_->cache_records, KeyOf(key), EncodeCacheRecord(*record), what);
}

Result<void> WriteTxn::PutSnapshot(const SnapshotRecord& record) {
  if (!IsValidSnapshotId(record.id)) {
    return Invalid("put snapshot record: invalid snapshot id \"" + record.id + "\"");
  }
  const std::string what = "snapshot record " + record.id;
  if (record.kind != SnapshotKind::kActive && record.kind != SnapshotKind::kCommitted) {
    return Invalid(what + ": unknown kind");
  }
  if (record.parent) {
    if (!IsValidSnapshotId(*record.parent)) {
      return Invalid(what + ": invalid parent id \"" + *record.parent + "\"");
    }
    if (*record.parent == record.id) return Invalid(what + ": a snapshot cannot be its own parent");
    BT_ASSIGN_OR_RETURN(std::optional<SnapshotRecord> parent, GetSnapshot(*record.parent));
    if (!parent) {
      return MakeError(ErrorCode::kNotFound,
                       what + ": parent " + *record.parent + " has no record");
    }
    if (parent->kind != SnapshotKind::kCommitted) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       what + ": parent " + *record.parent + " is not committed");
    }
  }
  SnapshotRecord stored = record;
  stored.refcount = 0;
  BT_ASSIGN_OR_RETURN(std::optional<SnapshotRecord> old, GetSnapshot(record.id));
  if (old) {
    if (old->parent != record.parent) {
      return MakeError(ErrorCode::kFailedPrecondition, what + ": the parent cannot change");
    }
    if (old->kind == SnapshotKind::kCommitted && record.kind != SnapshotKind::kCommitted) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       what + ": a committed snapshot cannot become active again");
    }
    stored.refcount = old->refcount;
  }
  return Put(state_->snapshots, record.id, EncodeSnapshotRecord(stored), what);
}

Result<void> WriteTxn::DeleteSnapshot(std::string_view id) {
  const std::string what = "snapshot record " + std::string(id);
  BT_ASSIGN_OR_RETURN(std::optional<SnapshotRecord> snapshot, GetSnapshot(id));
  if (!snapshot) return MakeError(ErrorCode::kNotFound, what + " not found");
  if (snapshot->refcount > 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     what + ": still used by " + std::to_string(snapshot->refcount) +
                         " cache record(s)");
  }
  std::optional<std::string> child;
  BT_TRY(ForEach(txn_, state_->snapshots, "snapshot records",
                 [&](std::string_view k, std::string_view v) -> Result<void> {
                   BT_ASSIGN_OR_RETURN(SnapshotRecord other, DecodeSnapshotRecord(k, v));
                   if (!child && other.parent == id) child = other.id;
                   return {};
                 }));
  if (child) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     what + ": snapshot " + *child + " is its child");
  }
  return Delete(state_->snapshots, id, what);
}

Result<void> WriteTxn::PutLease(const LeaseRecord& record) {
  if (!IsValidLeaseId(record.id)) {
    return Invalid("put lease record: invalid lease id \"" + record.id + "\"");
  }
  const std::string what = "lease record " + record.id;
  for (const std::string& id : record.snapshot_ids) {
    if (!IsValidSnapshotId(id)) return Invalid(what + ": invalid snapshot id \"" + id + "\"");
  }
  return Put(state_->leases, record.id, EncodeLeaseRecord(record), what);
}

Result<void> WriteTxn::DeleteLease(std::string_view id) {
  return Delete(state_->leases, id, "lease record " + std::string(id));
}

Result<void> WriteTxn::Commit() {
  BT_CHECK(txn_ != nullptr);
  const int rc = mdb_txn_commit(txn_);  // frees the transaction whatever the outcome
  txn_ = nullptr;
  if (rc == MDB_MAP_FULL) MapFull();
  state_->ExitTxn();
  if (rc != 0) return LmdbError(rc, "commit to metadata DB", state_->dir);
  return {};
}

}  // namespace bt::cache
