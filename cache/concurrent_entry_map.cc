#include "cache/concurrent_entry_map.h"

#include <algorithm>
#include <utility>

namespace bt::cache {

void ConcurrentEntryMap::Shard::Fold() const {
  for (auto& [path, value] : log) {
    if (value) {
      entries.insert_or_assign(std::move(path), *value);
    } else {
      entries.erase(path);
    }
  }
  log.clear();
}

std::optional<ConcurrentEntryMap::Value> ConcurrentEntryMap::Find(std::string_view path) const {
  const Shard& shard = ShardOf(path);
  std::lock_guard<std::mutex> lock(shard.mu);
  shard.Fold();
  auto it = shard.entries.find(path);
  if (it == shard.entries.end()) return std::nullopt;
  return it->second;
}

void ConcurrentEntryMap::Put(std::string path, const Value& value) {
  if (!used_.load(std::memory_order_relaxed)) used_.store(true, std::memory_order_release);
  Shard& shard = ShardOf(path);
  std::lock_guard<std::mutex> lock(shard.mu);
  shard.log.emplace_back(std::move(path), value);
}

void ConcurrentEntryMap::Erase(std::string_view path) {
  Shard& shard = ShardOf(path);
  std::lock_guard<std::mutex> lock(shard.mu);
  shard.log.emplace_back(std::string(path), std::nullopt);
}

std::vector<StatCacheEntry> ConcurrentEntryMap::SortedEntries() const {
  // Every state each path went through, without folding the logs into hash maps: a stable
  // sort by path keeps a shard's map entry before its log, and its log in order, so the last
  // item of a path is where the path stands now.
  struct Item {
    const std::string* path;
    const Value* value;  // nullptr: erased
  };
  std::vector<Item> items;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    for (const auto& [path, value] : shard.entries) items.push_back({&path, &value});
    for (const auto& [path, value] : shard.log) items.push_back({&path, value ? &*value : nullptr});
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return *a.path < *b.path; });
  std::vector<StatCacheEntry> out;
  out.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (i + 1 < items.size() && *items[i + 1].path == *items[i].path) continue;
    if (items[i].value != nullptr) {
      out.push_back({*items[i].path, items[i].value->id, items[i].value->checksum});
    }
  }
  return out;
}

void ConcurrentEntryMap::Clear() {
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    shard.log.clear();
    shard.entries.clear();
  }
  used_.store(false, std::memory_order_release);
}

}  // namespace bt::cache
