// ConcurrentEntryMap: stat-cache entries (cache/stat_cache.h) by path, for the checksums a
// scan computes: Put, Erase and Find may run on several threads at once. A cold scan puts
// every file of the context and looks none up, so a put only appends to a log, and the log
// is folded into a hash map when a lookup needs it. Paths are spread over shards, each with
// its own mutex, so the scan's threads rarely wait for one another. Not movable (it holds
// mutexes).
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cache/metadata_records.h"
#include "cache/stat_identity.h"

namespace bt::cache {

class ConcurrentEntryMap {
 public:
  struct Value {
    StatIdentity id;
    Checksum128 checksum;
  };

  ConcurrentEntryMap() = default;
  ConcurrentEntryMap(const ConcurrentEntryMap&) = delete;
  ConcurrentEntryMap& operator=(const ConcurrentEntryMap&) = delete;

  std::optional<Value> Find(std::string_view path) const;
  // Adds or replaces the entry of `path`.
  void Put(std::string path, const Value& value);
  void Erase(std::string_view path);
  // Whether Put() ran since Clear(); false means empty. Without a lock: a scan checks it
  // before every lookup.
  bool used() const { return used_.load(std::memory_order_acquire); }

  // Not concurrently with Put, Erase or Clear:
  // Every entry, sorted by path.
  std::vector<StatCacheEntry> SortedEntries() const;
  void Clear();

 private:
  struct PathHash {
    using is_transparent = void;  // lookups by string_view allocate nothing
    size_t operator()(std::string_view path) const { return std::hash<std::string_view>{}(path); }
  };
  // A cache line or more each: threads working on neighbouring shards must not slow each
  // other down by writing to one line.
  struct alignas(64) Shard {
    // Folds the log into `entries`. Needs mu.
    void Fold() const;

    mutable std::mutex mu;
    // Puts (a value) and erases (nullopt) not yet folded into `entries`, in the order they
    // ran. Both guarded by mu; folding changes how the entries are held, not what they are,
    // so const members may fold.
    mutable std::vector<std::pair<std::string, std::optional<Value>>> log;
    mutable std::unordered_map<std::string, Value, PathHash, std::equal_to<>> entries;
  };
  static constexpr size_t kShards = 16;  // enough that a few threads rarely meet on one

  Shard& ShardOf(std::string_view path) { return shards_[PathHash{}(path) % kShards]; }
  const Shard& ShardOf(std::string_view path) const {
    return shards_[PathHash{}(path) % kShards];
  }

  std::array<Shard, kShards> shards_;
  // Put() ran since Clear(). Written once, not counted per entry: a shared counter would
  // bounce its cache line between the scan's threads on every insert.
  std::atomic<bool> used_{false};
};

}  // namespace bt::cache
