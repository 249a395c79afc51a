// The records the metadata DB stores (cache/metadata_db.h): cache records, snapshot records,
// lease records and build-context stat caches, as plain values. Their byte encoding is in cache/metadata_encoding.h; the
// invariants the DB enforces between them (refcounts, parents) are in cache/metadata_txn.h.
// Plain data: copyable, no locking of their own.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/stat_identity.h"
#include "oci/digest.h"

namespace bt::cache {

// Wall-clock time, stored as signed nanoseconds since the Unix epoch (UTC).
using Timestamp = std::chrono::system_clock::time_point;

// The largest output metadata a cache record may carry; the blob is read on every cache hit,
// so it is meant for a few small fields (exit status, an image config delta), not content.
inline constexpr std::size_t kMaxOutputMetadataSize = 1 << 20;

// A cached result: the snapshots an op produced, found by the op's cache key.
struct CacheRecord {
  oci::Digest key;                        // the cache key; never zero in a stored record
  std::vector<std::string> snapshot_ids;  // one per op output, in output order; each names a
                                          // committed snapshot record while this record exists
  std::vector<oci::Digest> blobs;         // content-store blobs the result needs (exported
                                          // layers); kept from prune while this record exists
  std::string output_metadata;            // opaque bytes, at most kMaxOutputMetadataSize
  std::uint64_t size_bytes = 0;           // what pruning this record would free, as measured
  Timestamp created;
  Timestamp last_used;                    // moved forward by TouchLastUsed on each cache hit
  std::string description;                // for people (`du`), e.g. "RUN make"
};

enum class SnapshotKind : std::uint8_t {
  kActive = 1,     // writable, owned by one build; never a parent nor a result
  kCommitted = 2,  // immutable
};

// What the DB knows about one snapshot directory (cache/snapshot/snapshot_store.h).
struct SnapshotRecord {
  std::string id;                     // IsValidSnapshotId
  std::optional<std::string> parent;  // a committed snapshot's id; nullopt on scratch
  SnapshotKind kind = SnapshotKind::kActive;
  std::uint64_t size_bytes = 0;  // of this snapshot's own diff, parents excluded
  Timestamp created;
  // How many cache records name this snapshot. Maintained by the DB: PutCacheRecord and
  // DeleteCacheRecord change it, PutSnapshot ignores the value passed in.
  std::uint32_t refcount = 0;
};

// A hold a running build has on snapshots and blobs, so that prune leaves them alone
// (cache/lease.h). Live while its lock file is flock'ed, whatever owner_pid says.
struct LeaseRecord {
  std::string id;          // IsValidLeaseId
  std::int32_t owner_pid = 0;  // for people; pids are reused, so liveness never relies on it
  std::string lock_path;   // for people; checks derive the path from the id (cache/lease.h)
  Timestamp created;
  std::vector<std::string> snapshot_ids;  // need not have records yet (still being built)
  std::vector<oci::Digest> blobs;         // need not be in the content store yet (ingesting)
};

// A build context's stat cache (cache/stat_cache.h) is keyed by the context directory: the
// XXH3-128 of its canonical absolute path, big-endian.
using ContextKey = std::array<std::uint8_t, 16>;

// The head of one context's stat cache.
struct StatCacheContext {
  ContextKey key{};
  std::string dir;     // the canonical absolute path the key was derived from
  Timestamp last_used;  // the last Save()
};

// One regular file of a context: its content checksum, valid while its stat identity holds.
struct StatCacheEntry {
  std::string path;  // context-relative, '/'-separated, cleaned, never empty
  StatIdentity identity;
  Checksum128 checksum;
};

// Lease ids are 32 lowercase hex digits (128 random bits); anything else is refused before it
// becomes part of a path.
bool IsValidLeaseId(std::string_view id);

}  // namespace bt::cache
