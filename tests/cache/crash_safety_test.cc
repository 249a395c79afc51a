// SECURITY.md cases 39 and 41: processes that ingest blobs, commit snapshots, record results
// and prune on one root, killed with SIGKILL at random points or running side by side, never
// leave anything trusted that is wrong: afterwards CheckIntegrity may find leftovers (a
// snapshot directory without its record) but never an altered blob, a record without its
// snapshot, or a cache record pointing at nothing.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"
#include "cache/cache_root.h"
#include "cache/integrity.h"
#include "cache/prune.h"

namespace bt::cache {
namespace {

// One unit of a build's work: a blob, a committed snapshot, its records.
Result<void> WorkStep(CacheRoot& root, std::mt19937& rng) {
  const std::string data = "blob " + std::to_string(rng() % 64);
  BT_ASSIGN_OR_RETURN(IngestWriter w, root.content().BeginIngest(data));
  // A killed writer left part of it: an ingest resumes where the data stops.
  if (w.offset() > data.size()) return MakeError(ErrorCode::kInternal, "ingest too long");
  BT_TRY(w.Write(std::string_view(data).substr(w.offset())));
  BT_TRY(w.Commit(std::nullopt, oci::Digest::Of(data)));

  BT_ASSIGN_OR_RETURN(std::string id, root.snapshots().Prepare(std::nullopt));
  BT_TRY(root.snapshots().Commit(id));
  return root.db().Update([&](WriteTxn& txn) -> Result<void> {
    SnapshotRecord s;
    s.id = id;
    s.kind = SnapshotKind::kCommitted;
    BT_TRY(txn.PutSnapshot(s));
    CacheRecord r;
    r.key = oci::Digest::Of(id);
    r.snapshot_ids = {id};
    r.size_bytes = 1;
    r.created = r.last_used = std::chrono::system_clock::now();
    return txn.PutCacheRecord(r);
  });
}

[[noreturn]] void Worker(const std::string& path, unsigned seed, int steps) {
  std::mt19937 rng(seed);
  Result<CacheRoot> root = CacheRoot::Open(path);
  if (!root) ::_exit(3);
  for (int i = 0; steps < 0 || i < steps; ++i) {
    if (Result<void> step = WorkStep(*root, rng); !step) {
      std::fprintf(stderr, "work step: %s\n", step.error().message.c_str());
      ::_exit(4);
    }
    if (rng() % 8 == 0) {
      PruneOptions keep;
      keep.keep_bytes = 20;
      if (!Prune(*root, keep)) ::_exit(5);
    }
  }
  ::_exit(0);
}

void ExpectNothingTrustedIsWrong(CacheRoot& root) {
  const Result<IntegrityReport> report = CheckIntegrity(root, RepairMode::kReportOnly);
  REQUIRE(report.has_value());
  for (const Damage& d : report->damage) {
    INFO(DamageKindName(d.kind) << " " << d.what << ": " << d.detail);
    CHECK(d.kind == DamageKind::kUnrecordedSnapshot);
  }
  // Leftovers are repairable, and a repaired root is clean.
  REQUIRE(CheckIntegrity(root, RepairMode::kRepair).has_value());
  CHECK(CheckIntegrity(root, RepairMode::kReportOnly)->damage.empty());
}

TEST_CASE("SIGKILL at random points never leaves a trusted result that is wrong",
          "[cache][crash]") {
  TempDir dir = *TempDir::Create("", "bt-crash-");
  const std::string path = dir.path() + "/root";
  REQUIRE(CacheRoot::Open(path).has_value());
  std::mt19937 rng(42);
  for (int round = 0; round < 100; ++round) {
    const pid_t child = ::fork();
    if (child == 0) Worker(path, static_cast<unsigned>(round), -1);
    ::usleep(1000 + rng() % 20000);
    ::kill(child, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    // Anything but our own SIGKILL means the worker failed by itself.
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
      INFO("round " << round << " exit " << WEXITSTATUS(status));
      CHECK(WIFSIGNALED(status));
    }
  }
  Result<CacheRoot> root = CacheRoot::Open(path);
  REQUIRE(root.has_value());
  ExpectNothingTrustedIsWrong(*root);
}

TEST_CASE("several processes working on one root at once all succeed", "[cache][concurrency]") {
  TempDir dir = *TempDir::Create("", "bt-concurrent-");
  const std::string path = dir.path() + "/root";
  REQUIRE(CacheRoot::Open(path).has_value());
  std::vector<pid_t> children;
  for (unsigned i = 0; i < 3; ++i) {
    const pid_t child = ::fork();
    if (child == 0) Worker(path, 1000 + i, 150);
    children.push_back(child);
  }
  for (pid_t child : children) {
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  Result<CacheRoot> root = CacheRoot::Open(path);
  REQUIRE(root.has_value());
  const Result<IntegrityReport> report = CheckIntegrity(*root, RepairMode::kReportOnly);
  REQUIRE(report.has_value());
  CHECK(report->damage.empty());
}

}  // namespace
}  // namespace bt::cache
