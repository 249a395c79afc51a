#include "cache/stat_cache.h"

#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

#include <xxhash.h>

namespace bt::cache {
namespace {

// A stored head older than this is rewritten by Save() even when no entry changed, so that
// prune's "unused for" sees contexts in use without a DB write on every warm scan.
constexpr auto kLastUsedResolution = std::chrono::hours(1);

std::int64_t CoarseNowNs() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

ContextKey StatCache::KeyFor(std::string_view canonical_dir) {
  const XXH128_hash_t h = XXH3_128bits(canonical_dir.data(), canonical_dir.size());
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, h);
  ContextKey key{};
  std::copy(std::begin(canonical.digest), std::end(canonical.digest), key.begin());
  return key;
}

StatCache::StatCache(MetadataDb* db, std::string dir, StatCacheOptions options)
    : db_(db),
      dir_(std::move(dir)),
      key_(KeyFor(dir_)),
      options_(options),
      fresh_(std::make_unique<ConcurrentEntryMap>()) {
  Restamp();
  Reset({});
}

void StatCache::Reset(std::vector<StatCacheEntry> entries) {
  entries_ = std::move(entries);
  std::vector<std::string_view> paths;
  paths.reserve(entries_.size());
  for (const StatCacheEntry& e : entries_) paths.push_back(e.path);
  index_ = PathTable(std::move(paths));
  live_ = std::make_unique<std::atomic<bool>[]>(entries_.size());
  fresh_->Clear();
}

void StatCache::Restamp() {
  trusted_before_ns_ = CoarseNowNs() - options_.racy_margin.count();
}

Result<StatCache> StatCache::Load(MetadataDb& db, std::string_view context_dir,
                                  StatCacheOptions options) {
  char* real = ::realpath(std::string(context_dir).c_str(), nullptr);
  if (real == nullptr) return ErrnoError("resolve build context", context_dir, errno);
  std::string dir(real);
  ::free(real);
  StatCache cache(&db, std::move(dir), options);

  BT_ASSIGN_OR_RETURN(ReadTxn txn, db.BeginRead());
  Result<std::optional<StatCacheContext>> head = txn.GetStatCacheContext(cache.key_);
  Result<std::vector<StatCacheEntry>> entries =
      head ? txn.ListStatCacheEntries(cache.key_) : Result<std::vector<StatCacheEntry>>(head.error());
  if (!head || !entries) {
    const Error& error = !head ? head.error() : entries.error();
    // A damaged or newer-format cache is only a cache: start over, replace it at Save().
    if (error.code != ErrorCode::kDataLoss && error.code != ErrorCode::kFailedPrecondition) {
      return error;
    }
    cache.start_over_ = true;
    return cache;
  }
  if (*head && (*head)->dir != cache.dir_) {
    // Two directories whose paths collide in 128 bits: never trust the other's entries.
    cache.start_over_ = true;
    return cache;
  }
  if (*head) cache.head_last_used_ = (*head)->last_used;
  cache.Reset(std::move(*entries));
  return cache;
}

size_t StatCache::size() const {
  size_t n = entries_.size();
  for (const StatCacheEntry& e : fresh_->SortedEntries()) {
    if (!index_.Find(e.path)) ++n;
  }
  return n;
}

std::optional<Checksum128> StatCache::Lookup(std::string_view rel_path, const StatIdentity& id) {
  if (const std::optional<uint32_t> i = index_.Find(rel_path); i && entries_[*i].identity == id) {
    live_[*i].store(true, std::memory_order_relaxed);
    return entries_[*i].checksum;
  }
  if (!fresh_->used()) return std::nullopt;
  const std::optional<ConcurrentEntryMap::Value> fresh = fresh_->Find(rel_path);
  if (!fresh || !(fresh->id == id)) return std::nullopt;
  return fresh->checksum;
}

void StatCache::Insert(std::string rel_path, const StatIdentity& id, Checksum128 checksum) {
  if (rel_path.empty()) return;
  if (id.mtime_ns >= trusted_before_ns_ || id.ctime_ns >= trusted_before_ns_) {
    // Whatever was stored for this path is outdated too: not live, so Save() deletes it.
    if (const std::optional<uint32_t> i = index_.Find(rel_path)) {
      live_[*i].store(false, std::memory_order_relaxed);
    }
    if (fresh_->used()) fresh_->Erase(rel_path);
    return;
  }
  fresh_->Put(std::move(rel_path), {id, checksum});
}

Result<void> StatCache::Save() {
  // The entries inserted since Load() or the last Save(), in path order: LMDB writes keys
  // in order with fewer page splits.
  std::vector<StatCacheEntry> fresh = fresh_->SortedEntries();
  // Loaded entries that are not kept as they are: replaced by a fresh one, or gone (neither
  // looked up nor replaced since Load() or the last Save()).
  auto by_path = [](const StatCacheEntry& a, const StatCacheEntry& b) { return a.path < b.path; };
  std::vector<bool> dropped(entries_.size());
  std::vector<const std::string*> gone;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (std::binary_search(fresh.begin(), fresh.end(), entries_[i], by_path)) {
      dropped[i] = true;
    } else if (!live_[i].load(std::memory_order_relaxed)) {
      dropped[i] = true;
      gone.push_back(&entries_[i].path);
    }
  }
  const bool changed = start_over_ || !fresh.empty() || !gone.empty();
  const Timestamp now = std::chrono::system_clock::now();
  const bool head_stale = !head_last_used_ || now - *head_last_used_ > kLastUsedResolution;
  if (changed || head_stale) {
    BT_TRY(db_->Update([&](WriteTxn& txn) -> Result<void> {
      if (start_over_) {
        BT_TRY(txn.DeleteStatCache(key_));
        for (size_t i = 0; i < entries_.size(); ++i) {
          if (!dropped[i]) BT_TRY(txn.PutStatCacheEntry(key_, entries_[i]));
        }
      } else {
        for (const std::string* path : gone) BT_TRY(txn.DeleteStatCacheEntry(key_, *path));
      }
      for (const StatCacheEntry& e : fresh) BT_TRY(txn.PutStatCacheEntry(key_, e));
      return txn.PutStatCacheContext(StatCacheContext{key_, dir_, now});
    }));
    head_last_used_ = now;
    start_over_ = false;
  }
  if (fresh.empty() && gone.empty()) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      live_[i].store(false, std::memory_order_relaxed);
    }
  } else {
    std::vector<StatCacheEntry> kept;
    kept.reserve(entries_.size() - gone.size() + fresh.size());
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (!dropped[i]) kept.push_back(std::move(entries_[i]));
    }
    const auto middle = static_cast<std::ptrdiff_t>(kept.size());
    std::move(fresh.begin(), fresh.end(), std::back_inserter(kept));
    std::inplace_merge(kept.begin(), kept.begin() + middle, kept.end(), by_path);
    Reset(std::move(kept));
  }
  Restamp();
  return {};
}

}  // namespace bt::cache
