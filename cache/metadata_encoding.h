// The byte encoding of metadata DB values (cache/metadata_records.h). Pure functions; thread-safe.
//
// Why a hand-written binary encoding rather than JSON: output metadata is arbitrary bytes and
// timestamps are 64-bit nanoseconds, neither of which JSON carries without a second encoding;
// every field is read back with explicit bounds checks, so a damaged DB page (SECURITY.md
// case 40) becomes kDataLoss instead of a parser's exception; and bt_cache needs no JSON
// library. `buildtool du` is where people read records, not the raw DB.
//
// Every value starts with one version byte. Integers are little-endian and fixed-width.
//   str    = u32 length, then that many bytes
//   list<T>= u32 count, then count items
//   time   = i64 nanoseconds since the Unix epoch (UTC)
//
// Cache record (key: the 32 raw bytes of the cache key digest), version 2:
//   u8 version=2 | list<str> snapshot_ids | list<32 raw bytes> blobs (sha256 digests)
//   | str output_metadata | u64 size_bytes | time created | time last_used | str description
// Version 1 is the same without the blobs list (read as no blobs).
// Snapshot record (key: the snapshot id), version 1:
//   u8 version=1 | u8 kind (1 active, 2 committed) | u8 has_parent (0 or 1)
//   | str parent (only when has_parent=1) | u64 size_bytes | time created | u32 refcount
// Lease record (key: the lease id), version 1:
//   u8 version=1 | i32 owner_pid | str lock_path | time created | list<str> snapshot_ids
//   | list<32 raw bytes> blobs (sha256 digests)
// Stat cache context (key: the 16 bytes of the ContextKey), version 1:
//   u8 version=1 | str dir | time last_used
// Stat cache entry (key: the 16 bytes of the ContextKey, then the path bytes), version 1:
//   u8 version=1 | u64 dev | u64 ino | u64 size | i64 mtime ns | i64 ctime ns | u32 mode
//   | u64 checksum high half | u64 checksum low half
//
// A value must be consumed exactly; trailing bytes, a short read, version 0, an unknown kind
// or a has_parent other than 0/1 are kDataLoss. A version above the one this build knows is
// kFailedPrecondition (written by a newer buildtool; not damage). A new field means a new
// version: decoders keep reading every older version, encoders write only the newest.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "cache/metadata_records.h"

namespace bt::cache {

inline constexpr std::uint8_t kCacheRecordVersion = 2;
inline constexpr std::uint8_t kSnapshotRecordVersion = 1;
inline constexpr std::uint8_t kLeaseRecordVersion = 1;
inline constexpr std::uint8_t kStatCacheVersion = 1;

// The key fields (CacheRecord::key, SnapshotRecord::id, LeaseRecord::id) are not part of the
// value: they are the DB key, and decoding takes them back from the caller.
std::string EncodeCacheRecord(const CacheRecord& record);
Result<CacheRecord> DecodeCacheRecord(const oci::Digest& key, std::string_view value);

std::string EncodeSnapshotRecord(const SnapshotRecord& record);
Result<SnapshotRecord> DecodeSnapshotRecord(std::string_view id, std::string_view value);

std::string EncodeLeaseRecord(const LeaseRecord& record);
Result<LeaseRecord> DecodeLeaseRecord(std::string_view id, std::string_view value);

std::string EncodeStatCacheContext(const StatCacheContext& context);
Result<StatCacheContext> DecodeStatCacheContext(const ContextKey& key, std::string_view value);

std::string EncodeStatCacheEntry(const StatCacheEntry& entry);
Result<StatCacheEntry> DecodeStatCacheEntry(std::string_view path, std::string_view value);

}  // namespace bt::cache
