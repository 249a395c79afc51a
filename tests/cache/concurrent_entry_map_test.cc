// ConcurrentEntryMap (cache/concurrent_entry_map.h): the last put or erase of a path wins,
// whether a lookup folded the log in between or not, and threads putting at once lose
// nothing.
#include "cache/concurrent_entry_map.h"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

namespace bt::cache {
namespace {

ConcurrentEntryMap::Value V(uint64_t n) { return {StatIdentity{.ino = n}, Checksum128{n, n}}; }

std::vector<std::string> Paths(const ConcurrentEntryMap& map) {
  std::vector<std::string> out;
  for (const StatCacheEntry& e : map.SortedEntries()) out.push_back(e.path);
  return out;
}

TEST_CASE("the last put or erase of a path wins", "[cache][concurrent_entry_map]") {
  ConcurrentEntryMap map;
  CHECK_FALSE(map.used());
  map.Put("b", V(1));
  map.Put("a", V(2));
  CHECK(map.used());
  SECTION("without a lookup in between") {
    map.Put("b", V(3));
    map.Erase("a");
    map.Put("c", V(4));
  }
  SECTION("with lookups folding the log in between") {
    CHECK(map.Find("a")->checksum == V(2).checksum);
    map.Put("b", V(3));
    CHECK(map.Find("b")->checksum == V(3).checksum);
    map.Erase("a");
    CHECK_FALSE(map.Find("a"));
    map.Put("c", V(4));
  }
  CHECK(Paths(map) == std::vector<std::string>{"b", "c"});
  CHECK(map.SortedEntries()[0].checksum == V(3).checksum);
  CHECK(map.Find("b")->checksum == V(3).checksum);
  CHECK_FALSE(map.Find("a"));
  map.Clear();
  CHECK_FALSE(map.used());
  CHECK(map.SortedEntries().empty());
}

TEST_CASE("threads putting at once lose nothing", "[cache][concurrent_entry_map]") {
  ConcurrentEntryMap map;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::vector<int> missed(kThreads, 0);  // Catch2's assertions are for one thread only
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&map, &missed, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        map.Put("p" + std::to_string(n), V(n));
        const std::optional<ConcurrentEntryMap::Value> found = map.Find("p" + std::to_string(n));
        if (!found || !(found->checksum == V(n).checksum)) ++missed[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(missed == std::vector<int>(kThreads, 0));
  const std::vector<StatCacheEntry> all = map.SortedEntries();
  REQUIRE(all.size() == kThreads * kPerThread);
  CHECK(std::adjacent_find(all.begin(), all.end(), [](const auto& a, const auto& b) {
          return !(a.path < b.path);
        }) == all.end());
}

}  // namespace
}  // namespace bt::cache
