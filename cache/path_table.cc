#include "cache/path_table.h"

#include <utility>

#include <xxhash.h>

#include "base/result.h"

namespace bt::cache {
namespace {

constexpr uint64_t kPositionMask = 0xffffffffu;

uint64_t HashOf(std::string_view path) { return XXH3_64bits(path.data(), path.size()); }

}  // namespace

PathTable::PathTable(std::vector<std::string_view> paths) : paths_(std::move(paths)) {
  if (paths_.empty()) return;
  BT_CHECK(paths_.size() < kPositionMask);
  size_t capacity = 8;
  while (capacity < 2 * paths_.size()) capacity *= 2;
  slots_.assign(capacity, 0);
  const size_t mask = capacity - 1;
  for (size_t i = 0; i < paths_.size(); ++i) {
    const uint64_t h = HashOf(paths_[i]);
    size_t s = h & mask;
    while (slots_[s] != 0) s = (s + 1) & mask;
    slots_[s] = (h & ~kPositionMask) | (i + 1);
  }
}

std::optional<uint32_t> PathTable::Find(std::string_view path) const {
  if (slots_.empty()) return std::nullopt;
  const uint64_t h = HashOf(path);
  const size_t mask = slots_.size() - 1;
  for (size_t s = h & mask;; s = (s + 1) & mask) {
    const uint64_t slot = slots_[s];
    if (slot == 0) return std::nullopt;
    const auto position = static_cast<uint32_t>((slot & kPositionMask) - 1);
    if ((slot & ~kPositionMask) == (h & ~kPositionMask) && paths_[position] == path) {
      return position;
    }
  }
}

}  // namespace bt::cache
