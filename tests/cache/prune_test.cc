// Prune frees least recently used records first, never one a live build holds, honours
// keep-storage and until, and removes snapshots nothing needs any more (directories too).
#include "cache/prune.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"
#include "cache/build_scratch.h"
#include "cache/lease.h"
#include "cache/stat_cache.h"

namespace bt::cache {
namespace {

struct Fixture {
  TempDir dir = *TempDir::Create("", "bt-prune-");
  CacheRoot root = *CacheRoot::Open(dir.path() + "/root");

  // A committed snapshot (optionally on a parent) with a record.
  std::string Snapshot(const std::optional<std::string>& parent = std::nullopt) {
    const std::string id = *root.snapshots().Prepare(parent);
    REQUIRE(root.snapshots().Commit(id).has_value());
    REQUIRE(root.db()
                .Update([&](WriteTxn& txn) {
                  SnapshotRecord s;
                  s.id = id;
                  s.parent = parent;
                  s.kind = SnapshotKind::kCommitted;
                  return txn.PutSnapshot(s);
                })
                .has_value());
    return id;
  }

  oci::Digest Record(const std::string& name, const std::string& snapshot, std::uint64_t size,
                     int unused_seconds) {
    CacheRecord r;
    r.key = oci::Digest::Of(name);
    r.snapshot_ids = {snapshot};
    r.size_bytes = size;
    r.created = std::chrono::system_clock::now() - std::chrono::seconds(unused_seconds);
    r.last_used = r.created;
    r.description = name;
    REQUIRE(root.db().Update([&](WriteTxn& txn) { return txn.PutCacheRecord(r); }).has_value());
    return r.key;
  }

  std::size_t RecordCount() { return root.db().BeginRead()->ListCacheRecords()->size(); }
};

TEST_CASE("prune frees every record no live build holds, with their snapshots",
          "[cache][prune]") {
  Fixture f;
  const std::string base = f.Snapshot();
  const std::string child = f.Snapshot(base);
  const std::string held = f.Snapshot();
  f.Record("RUN a", child, 100, 60);
  f.Record("RUN held", held, 7, 30);
  Result<Lease> lease = Lease::Acquire(f.root.db());
  REQUIRE(f.root.db().Update([&](WriteTxn& txn) { return lease->AddSnapshot(txn, held); }).has_value());

  const Result<PruneReport> report = Prune(f.root, {});
  REQUIRE(report.has_value());
  REQUIRE(report->removed.size() == 1);
  CHECK(report->removed[0].description == "RUN a");
  CHECK(report->freed_bytes == 100);
  CHECK(report->snapshots_removed == 2);  // child, then the base it freed
  CHECK_FALSE(f.root.snapshots().IsCommitted(child));
  CHECK(::access(f.root.snapshots().DiffPath(base).c_str(), F_OK) != 0);
  CHECK(f.root.snapshots().IsCommitted(held));
  CHECK(f.RecordCount() == 1);
}

TEST_CASE("prune stops at keep-storage and skips recently used records", "[cache][prune]") {
  Fixture f;
  f.Record("oldest", f.Snapshot(), 100, 300);
  f.Record("middle", f.Snapshot(), 100, 200);
  f.Record("newest", f.Snapshot(), 100, 10);
  PruneOptions keep;
  keep.keep_bytes = 150;
  const Result<PruneReport> first = Prune(f.root, keep);
  REQUIRE(first.has_value());
  REQUIRE(first->removed.size() == 2);
  CHECK(first->removed[0].description == "oldest");
  CHECK(first->removed[1].description == "middle");

  f.Record("old again", f.Snapshot(), 5, 3600);
  PruneOptions until;
  until.unused_for = std::chrono::seconds(60);
  const Result<PruneReport> second = Prune(f.root, until);
  REQUIRE(second->removed.size() == 1);
  CHECK(second->removed[0].description == "old again");
  CHECK(f.RecordCount() == 1);  // "newest" was used 10 s ago
}

TEST_CASE("a lease whose build died does not protect anything", "[cache][prune]") {
  Fixture f;
  const std::string s = f.Snapshot();
  f.Record("RUN x", s, 1, 1);
  const pid_t child = ::fork();
  if (child == 0) {
    // The child opens the root itself: an LMDB environment must not cross fork().
    Result<CacheRoot> root = CacheRoot::Open(f.root.path());
    Result<Lease> lease = Lease::Acquire(root->db());
    (void)root->db().Update([&](WriteTxn& txn) { return lease->AddSnapshot(txn, s); });
    ::_exit(0);  // dies without releasing
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  const Result<PruneReport> report = Prune(f.root, {});
  REQUIRE(report.has_value());
  CHECK(report->stale_leases_reaped == 1);
  CHECK(report->removed.size() == 1);
}

}  // namespace
}  // namespace bt::cache

namespace bt::cache {
namespace {

TEST_CASE("prune removes partial blobs whose writer is gone, never a live one",
          "[cache][prune]") {
  Fixture f;
  {
    IngestWriter dropped = *f.root.content().BeginIngest("dropped");
    REQUIRE(dropped.Write("half").has_value());
  }  // dropped without Commit or Abort: its data stays for a resume
  IngestWriter live = *f.root.content().BeginIngest("live");
  REQUIRE(live.Write("still going").has_value());
  const Result<PruneReport> report = Prune(f.root, {});
  REQUIRE(report.has_value());
  CHECK(report->abandoned_ingests_removed == 1);
  REQUIRE(live.Write(" and done").has_value());
  CHECK(live.Commit(std::nullopt, oci::Digest::Of("still going and done")).has_value());
  // The dropped ingest starts over.
  CHECK(f.root.content().BeginIngest("dropped")->offset() == 0);
}

}  // namespace
}  // namespace bt::cache

namespace bt::cache {
namespace {

oci::Digest PutBlob(CacheRoot& root, const std::string& content) {
  IngestWriter w = *root.content().BeginIngest("blob " + content);
  REQUIRE(w.Write(content).has_value());
  Result<oci::Digest> d = w.Commit(std::nullopt, std::nullopt);
  REQUIRE(d.has_value());
  return *d;
}

TEST_CASE("prune deletes blobs that no record and no live lease names", "[cache][prune]") {
  Fixture f;
  const oci::Digest kept = PutBlob(f.root, "layer of a cached result");
  const oci::Digest leased = PutBlob(f.root, "layer a running build pulls");
  const oci::Digest garbage = PutBlob(f.root, "layer nothing needs");
  const oci::Digest freed_with_record = PutBlob(f.root, "layer of an old result");

  const std::string recent = f.Snapshot();
  const std::string old = f.Snapshot();
  CacheRecord r;
  r.key = oci::Digest::Of("recent");
  r.snapshot_ids = {recent};
  r.blobs = {kept};
  r.created = r.last_used = std::chrono::system_clock::now();
  REQUIRE(f.root.db().Update([&](WriteTxn& txn) { return txn.PutCacheRecord(r); }).has_value());
  r.key = oci::Digest::Of("old");
  r.snapshot_ids = {old};
  r.blobs = {freed_with_record};
  r.created = r.last_used = std::chrono::system_clock::now() - std::chrono::hours(48);
  REQUIRE(f.root.db().Update([&](WriteTxn& txn) { return txn.PutCacheRecord(r); }).has_value());

  Result<Lease> lease = Lease::Acquire(f.root.db());
  REQUIRE(lease.has_value());
  REQUIRE(f.root.db().Update([&](WriteTxn& txn) { return lease->AddBlob(txn, leased); }));

  const Result<PruneReport> report = Prune(f.root, {.keep_bytes = std::nullopt, .unused_for = std::chrono::hours(24)});
  REQUIRE(report.has_value());
  CHECK(report->removed.size() == 1);  // "old"
  CHECK(report->blobs_removed == 2);
  CHECK(report->blob_bytes_freed ==
        std::string("layer nothing needs").size() + std::string("layer of an old result").size());
  CHECK(f.root.content().Contains(kept));
  CHECK(f.root.content().Contains(leased));
  CHECK_FALSE(f.root.content().Contains(garbage));
  CHECK_FALSE(f.root.content().Contains(freed_with_record));

  SECTION("once the lease ends, its blob is garbage too") {
    REQUIRE(lease->Release().has_value());
    const Result<PruneReport> again = Prune(f.root, {.keep_bytes = std::nullopt, .unused_for = std::chrono::hours(24)});
    REQUIRE(again.has_value());
    CHECK(again->blobs_removed == 1);
    CHECK_FALSE(f.root.content().Contains(leased));
    CHECK(f.root.content().Contains(kept));
  }
}

}  // namespace
}  // namespace bt::cache

namespace bt::cache {
namespace {

TEST_CASE("prune drops the stat caches of contexts that are gone, or all without a filter",
          "[cache][prune]") {
  Fixture f;
  TempDir kept = *TempDir::Create("", "bt-prune-context-");
  std::string vanished;
  {
    TempDir gone = *TempDir::Create("", "bt-prune-context-");
    vanished = gone.path();
    for (const std::string& dir : {kept.path(), gone.path()}) {
      Result<StatCache> cache = StatCache::Load(f.root.db(), dir);
      REQUIRE(cache.has_value());
      REQUIRE(cache->Save().has_value());  // a head for the context, no entries
    }
  }
  REQUIRE(f.root.db().BeginRead()->ListStatCacheContexts()->size() == 2);

  Result<PruneReport> report = Prune(f.root, {.keep_bytes = 0, .unused_for = std::nullopt});
  REQUIRE(report.has_value());
  CHECK(report->stat_caches_removed == 1);
  std::vector<StatCacheContext> left = *f.root.db().BeginRead()->ListStatCacheContexts();
  REQUIRE(left.size() == 1);
  CHECK(left[0].dir == StatCache::Load(f.root.db(), kept.path())->dir());

  report = Prune(f.root, {});
  REQUIRE(report.has_value());
  CHECK(report->stat_caches_removed == 1);
  CHECK(f.root.db().BeginRead()->ListStatCacheContexts()->empty());
}

}  // namespace
}  // namespace bt::cache

namespace bt::cache {
namespace {

TEST_CASE("prune reclaims the scratch directories of builds that are gone", "[cache][prune]") {
  Fixture f;
  Result<Lease> live = Lease::Acquire(f.root.db());  // live, though it recorded nothing yet
  Result<Lease> dead = Lease::Acquire(f.root.db());
  REQUIRE(live.has_value());
  REQUIRE(dead.has_value());
  const std::string live_dir = *MakeBuildScratchDir(f.root, *live);
  const std::string dead_dir = *MakeBuildScratchDir(f.root, *dead);
  REQUIRE(::mkdir((dead_dir + "/rootfs-x").c_str(), 0700) == 0);
  REQUIRE(::mkdir((f.root.tmp_dir() + "/build-not-a-lease").c_str(), 0700) == 0);
  REQUIRE(dead->Release().has_value());  // as if the build had been killed

  const Result<PruneReport> report =
      Prune(f.root, {.keep_bytes = std::nullopt, .unused_for = std::chrono::hours(1)});
  REQUIRE(report.has_value());
  CHECK(report->scratch_dirs_removed == 1);
  struct stat st;
  CHECK(::stat(live_dir.c_str(), &st) == 0);
  CHECK(::stat(dead_dir.c_str(), &st) != 0);
  CHECK(::stat((f.root.tmp_dir() + "/build-not-a-lease").c_str(), &st) == 0);  // not ours
}

}  // namespace
}  // namespace bt::cache
