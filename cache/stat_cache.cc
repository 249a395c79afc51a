#include "cache/stat_cache.h"

#include <stdlib.h>
#include <time.h>

#include <cerrno>
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
    : db_(db), dir_(std::move(dir)), key_(KeyFor(dir_)), options_(options) {
  Restamp();
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
  cache.entries_.reserve(entries->size());
  for (StatCacheEntry& e : *entries) {
    cache.entries_.emplace(std::move(e.path), Entry{e.identity, e.checksum});
  }
  return cache;
}

std::optional<Checksum128> StatCache::Lookup(std::string_view rel_path, const StatIdentity& id) {
  auto it = entries_.find(std::string(rel_path));
  if (it == entries_.end() || !(it->second.id == id)) return std::nullopt;
  it->second.live = true;
  return it->second.checksum;
}

void StatCache::Insert(std::string rel_path, const StatIdentity& id, Checksum128 checksum) {
  if (rel_path.empty()) return;
  if (id.mtime_ns >= trusted_before_ns_ || id.ctime_ns >= trusted_before_ns_) {
    // Whatever was stored for this path is outdated too: not live, so Save() deletes it.
    if (auto it = entries_.find(rel_path); it != entries_.end()) it->second.live = false;
    return;
  }
  entries_.insert_or_assign(std::move(rel_path), Entry{id, checksum, true, true});
}

Result<void> StatCache::Save() {
  std::vector<std::string> gone;
  bool changed = start_over_;
  for (const auto& [path, e] : entries_) {
    if (!e.live) gone.push_back(path);
    changed |= e.dirty || !e.live;
  }
  const Timestamp now = std::chrono::system_clock::now();
  const bool head_stale = !head_last_used_ || now - *head_last_used_ > kLastUsedResolution;
  if (changed || head_stale) {
    BT_TRY(db_->Update([&](WriteTxn& txn) -> Result<void> {
      if (start_over_) {
        BT_TRY(txn.DeleteStatCache(key_));
      } else {
        for (const std::string& path : gone) BT_TRY(txn.DeleteStatCacheEntry(key_, path));
      }
      for (const auto& [path, e] : entries_) {
        if (!e.live || !(e.dirty || start_over_)) continue;
        BT_TRY(txn.PutStatCacheEntry(key_, StatCacheEntry{path, e.id, e.checksum}));
      }
      return txn.PutStatCacheContext(StatCacheContext{key_, dir_, now});
    }));
    head_last_used_ = now;
    start_over_ = false;
  }
  for (const std::string& path : gone) entries_.erase(path);
  for (auto& [path, e] : entries_) e.live = e.dirty = false;
  Restamp();
  return {};
}

}  // namespace bt::cache
