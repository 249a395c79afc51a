// PathTable: finds a path's position in a list of paths the caller owns, by open addressing
// on the paths' XXH3 hashes. Built once, then read by any number of threads without locks
// (the stat cache's lookups from a parallel context scan). One allocation for the whole
// table, where a node-based map makes one per path.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace bt::cache {

class PathTable {
 public:
  PathTable() = default;
  // Indexes paths[i] as position i; of repeated paths, one is found. The viewed characters
  // must stay where they are for the table's life.
  explicit PathTable(std::vector<std::string_view> paths);

  std::optional<uint32_t> Find(std::string_view path) const;
  size_t size() const { return paths_.size(); }

 private:
  std::vector<std::string_view> paths_;
  // A power of two at least twice the paths (probes stay short); each slot is 0 when empty,
  // else the high 32 bits of the path's hash (compared before the path) and position + 1.
  std::vector<uint64_t> slots_;
};

}  // namespace bt::cache
