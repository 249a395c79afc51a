// Cache mounts (cache/cache_mounts.h): an id names one directory whatever it says, sharing
// modes decide who gets which instance, a new instance is seeded once and given its owner
// and mode, and prune takes only what no build holds.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "base/temp_dir.h"
#include "cache/cache_mounts.h"

namespace bt::cache {
namespace {

CacheMountSpec Spec(const std::string& id, CacheMountSharing sharing) {
  CacheMountSpec spec;
  spec.id = id;
  spec.sharing = sharing;
  return spec;
}

const auto kNever = [] { return false; };

TEST_CASE("a cache mount id is a key, not a path", "[cache][cache_mounts]") {
  Result<TempDir> dir = TempDir::Create("", "bt-cachemounts-");
  REQUIRE(dir.has_value());
  const std::string mounts = dir->path() + "/mounts";
  Result<CacheMountHold> hold =
      HoldCacheMount(mounts, Spec("../../../../etc", CacheMountSharing::kShared), {}, kNever);
  REQUIRE(hold.has_value());
  // Inside the cache-mounts directory, two levels down (hash, instance), whatever the id said.
  CHECK(hold->dir().rfind(mounts + "/", 0) == 0);
  CHECK(hold->dir().find("..") == std::string::npos);
  CHECK(hold->dir().find("etc") == std::string::npos);
}

TEST_CASE("sharing decides the instance a step gets", "[cache][cache_mounts]") {
  Result<TempDir> dir = TempDir::Create("", "bt-cachemounts-");
  REQUIRE(dir.has_value());
  const std::string mounts = dir->path() + "/mounts";
  int seeded = 0;
  const CacheMountSeed seed = [&](const std::string& d) -> Result<void> {
    ++seeded;
    std::ofstream(d + "/seed") << "from";
    return {};
  };
  Result<CacheMountHold> a = HoldCacheMount(mounts, Spec("x", CacheMountSharing::kShared), seed, kNever);
  Result<CacheMountHold> b = HoldCacheMount(mounts, Spec("x", CacheMountSharing::kShared), seed, kNever);
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->dir() == b->dir());  // shared: the same directory at the same time
  CHECK(seeded == 1);           // seeded when made, not when used
  struct stat st;
  REQUIRE(::stat((a->dir() + "/seed").c_str(), &st) == 0);

  // private while others hold instance 0: a new instance, seeded too.
  Result<CacheMountHold> p = HoldCacheMount(mounts, Spec("x", CacheMountSharing::kPrivate), seed, kNever);
  REQUIRE(p.has_value());
  CHECK(p->dir() != a->dir());
  CHECK(seeded == 2);

  // locked while instance 0 is held: it waits, and gives up when the build stops.
  int polls = 0;
  Result<CacheMountHold> l = HoldCacheMount(mounts, Spec("x", CacheMountSharing::kLocked), seed,
                                            [&] { return ++polls > 3; });
  REQUIRE_FALSE(l.has_value());
  CHECK(l.error().code == ErrorCode::kCancelled);

  // Once the shared holders are gone, locked gets instance 0.
  a = CacheMountHold();
  b = CacheMountHold();
  Result<CacheMountHold> l2 = HoldCacheMount(mounts, Spec("x", CacheMountSharing::kLocked), seed, kNever);
  REQUIRE(l2.has_value());
  CHECK(l2->dir() == mounts + "/" + l2->dir().substr(mounts.size() + 1, 64) + "/0");
}

TEST_CASE("a new cache mount gets the mount's owner and mode", "[cache][cache_mounts]") {
  if (::geteuid() != 0) {
    WARN("SKIPPED: chown needs root");
    return;
  }
  Result<TempDir> dir = TempDir::Create("", "bt-cachemounts-");
  REQUIRE(dir.has_value());
  CacheMountSpec spec = Spec("owned", CacheMountSharing::kShared);
  spec.mode = 0710;
  spec.uid = 1234;
  spec.gid = 5678;
  Result<CacheMountHold> hold = HoldCacheMount(dir->path(), spec, {}, kNever);
  REQUIRE(hold.has_value());
  struct stat st;
  REQUIRE(::stat(hold->dir().c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0710);
  CHECK(st.st_uid == 1234);
  CHECK(st.st_gid == 5678);
}

TEST_CASE("du measures cache mounts and prune removes those no build holds",
          "[cache][cache_mounts]") {
  Result<TempDir> dir = TempDir::Create("", "bt-cachemounts-");
  REQUIRE(dir.has_value());
  const std::string mounts = dir->path() + "/mounts";
  Result<CacheMountHold> kept = HoldCacheMount(mounts, Spec("kept", CacheMountSharing::kShared), {}, kNever);
  REQUIRE(kept.has_value());
  std::ofstream(kept->dir() + "/data") << std::string(1000, 'k');
  std::string gone_dir;
  {
    Result<CacheMountHold> gone = HoldCacheMount(mounts, Spec("gone", CacheMountSharing::kShared), {}, kNever);
    REQUIRE(gone.has_value());
    gone_dir = gone->dir();
    std::ofstream(gone_dir + "/data") << std::string(300, 'g');
  }
  Result<CacheMountUsage> usage = MeasureCacheMounts(mounts);
  REQUIRE(usage.has_value());
  CHECK(usage->instances == 2);
  CHECK(usage->bytes == 1300);

  Result<CacheMountUsage> removed = PruneCacheMounts(mounts);
  REQUIRE(removed.has_value());
  CHECK(removed->instances == 1);
  CHECK(removed->bytes == 300);
  struct stat st;
  CHECK(::stat(gone_dir.c_str(), &st) != 0);
  CHECK(::stat((kept->dir() + "/data").c_str(), &st) == 0);
  Result<CacheMountUsage> missing = MeasureCacheMounts(dir->path() + "/none");
  REQUIRE(missing.has_value());
  CHECK(missing->instances == 0);
}

}  // namespace
}  // namespace bt::cache
