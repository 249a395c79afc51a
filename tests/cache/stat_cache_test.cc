// StatCache under a parallel scan: lookups and inserts from several threads at once keep
// exactly what a one-thread scan would keep, and Save() writes it.
#include "cache/stat_cache.h"

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"
#include "cache/metadata_db.h"

namespace bt::cache {
namespace {

constexpr StatCacheOptions kExact{.racy_margin = std::chrono::nanoseconds(0)};
constexpr int kThreads = 4;
constexpr int kPaths = 4000;

std::string PathOf(int i) { return "dir" + std::to_string(i % 37) + "/file" + std::to_string(i); }
// Stamped long ago, so never racy.
StatIdentity IdOf(int i, int version) {
  return StatIdentity{1, static_cast<uint64_t>(i), 10, 1000 + version, 1000 + version, 0100644};
}
Checksum128 SumOf(int i, int version) {
  return Checksum128{static_cast<uint64_t>(i), static_cast<uint64_t>(version)};
}
// Stamped in the future: racy, never kept.
StatIdentity RacyIdOf(int i) {
  const int64_t future = std::numeric_limits<int64_t>::max() / 2;
  return StatIdentity{1, static_cast<uint64_t>(i), 10, future, future, 0100644};
}

struct Db {
  TempDir dir = *TempDir::Create("", "bt-statcache-");
  MetadataDb db = *MetadataDb::Open(dir.path());
  TempDir context = *TempDir::Create("", "bt-statcache-context-");
  StatCache Load() {
    Result<StatCache> cache = StatCache::Load(db, context.path(), kExact);
    REQUIRE(cache.has_value());
    return std::move(*cache);
  }
};

TEST_CASE("lookups and inserts from several threads at once keep what one thread would",
          "[cache][stat_cache]") {
  Db state;
  {
    StatCache first = state.Load();
    for (int i = 0; i < kPaths; ++i) first.Insert(PathOf(i), IdOf(i, 0), SumOf(i, 0));
    REQUIRE(first.Save().has_value());
  }
  StatCache cache = state.Load();
  REQUIRE(cache.size() == kPaths);

  // Path i, by i % 4: 0 unchanged (a hit), 1 changed (a miss, then a fresh checksum),
  // 2 changed within the racy window (a miss, then dropped), 3 deleted (never looked up).
  // Every thread also adds new paths, and looks up what it inserted.
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kPaths; i += kThreads) {
        switch (i % 4) {
          case 0:
            if (cache.Lookup(PathOf(i), IdOf(i, 0)) != SumOf(i, 0)) ++wrong[t];
            break;
          case 1:
            if (cache.Lookup(PathOf(i), IdOf(i, 1))) ++wrong[t];
            cache.Insert(PathOf(i), IdOf(i, 1), SumOf(i, 1));
            if (cache.Lookup(PathOf(i), IdOf(i, 1)) != SumOf(i, 1)) ++wrong[t];
            break;
          case 2:
            if (cache.Lookup(PathOf(i), RacyIdOf(i))) ++wrong[t];
            cache.Insert(PathOf(i), RacyIdOf(i), SumOf(i, 2));
            break;
          case 3:
            break;
        }
        const int added = kPaths + i;
        cache.Insert(PathOf(added), IdOf(added, 0), SumOf(added, 0));
        if (cache.Lookup(PathOf(added), IdOf(added, 0)) != SumOf(added, 0)) ++wrong[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) CHECK(wrong[t] == 0);
  REQUIRE(cache.Save().has_value());

  // Kept: the hits, the fresh checksums and the added paths; dropped: the racy and the unseen.
  const int kept = kPaths / 2 + kPaths;
  StatCache reloaded = state.Load();
  CHECK(reloaded.size() == static_cast<size_t>(kept));
  for (int i = 0; i < kPaths; ++i) {
    INFO("path " << PathOf(i));
    switch (i % 4) {
      case 0: CHECK(reloaded.Lookup(PathOf(i), IdOf(i, 0)) == SumOf(i, 0)); break;
      case 1: CHECK(reloaded.Lookup(PathOf(i), IdOf(i, 1)) == SumOf(i, 1)); break;
      default: CHECK_FALSE(reloaded.Lookup(PathOf(i), IdOf(i, 0))); break;
    }
    CHECK(reloaded.Lookup(PathOf(kPaths + i), IdOf(kPaths + i, 0)) == SumOf(kPaths + i, 0));
  }
  // What the same object kept in memory matches what it wrote.
  CHECK(cache.size() == static_cast<size_t>(kept));
}

TEST_CASE("a checksum inserted before a save is found by the next lookup",
          "[cache][stat_cache]") {
  Db state;
  StatCache cache = state.Load();
  CHECK(cache.empty());
  CHECK_FALSE(cache.Lookup("a", IdOf(1, 0)));
  cache.Insert("a", IdOf(1, 0), SumOf(1, 0));
  CHECK_FALSE(cache.empty());
  CHECK(cache.Lookup("a", IdOf(1, 0)) == SumOf(1, 0));
  CHECK_FALSE(cache.Lookup("a", IdOf(1, 1)));
  CHECK(cache.size() == 1);
  SECTION("a racy checksum for the same path keeps it from being saved") {
    cache.Insert("a", RacyIdOf(1), SumOf(1, 2));
    REQUIRE(cache.Save().has_value());
    CHECK(state.Load().size() == 0);
  }
  SECTION("and is kept by the save") {
    REQUIRE(cache.Save().has_value());
    CHECK(cache.Lookup("a", IdOf(1, 0)) == SumOf(1, 0));
    CHECK(state.Load().size() == 1);
    CHECK_FALSE(state.Load().empty());
  }
}

}  // namespace
}  // namespace bt::cache
