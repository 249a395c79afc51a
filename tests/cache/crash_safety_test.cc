// SECURITY.md cases 39 and 41: processes that ingest blobs, commit snapshots, record results,
// scan a build context with the shared stat cache and prune on one root, killed with SIGKILL at random points or running side by side, never
// leave anything trusted that is wrong: afterwards CheckIntegrity may find leftovers (a
// snapshot directory without its record) but never an altered blob, a record without its
// snapshot, or a cache record pointing at nothing.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"
#include "cache/cache_root.h"
#include "cache/context_scanner.h"
#include "cache/integrity.h"
#include "cache/lease.h"
#include "cache/prune.h"
#include "cache/stat_cache.h"

namespace bt::cache {
namespace {

// A small build context every worker scans with the shared stat cache.
struct Context {
  std::string dir;
  Checksum128 expected;  // its checksum read without any cache

  static Context Make(const std::string& dir) {
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    REQUIRE(::mkdir((dir + "/src").c_str(), 0755) == 0);
    for (int i = 0; i < 40; ++i) {
      std::ofstream(dir + "/src/f" + std::to_string(i)) << "file " << i << std::string(i * 50, 'x');
    }
    ContextScanner scanner({});
    Result<ContextTree> tree = scanner.Scan(dir);
    REQUIRE(tree.has_value());
    return Context{dir, *tree->ChecksumOf(".")};
  }
};

// A build's use of a context: scan with the shared stat cache and save it. The checksum must
// be the true one whatever state other (or killed) processes left the cache in.
Result<void> ScanStep(CacheRoot& root, const Context& context) {
  BT_ASSIGN_OR_RETURN(StatCache cache,
                      StatCache::Load(root.db(), context.dir, {.racy_margin = {}}));
  ContextScanner scanner({.stat_cache = &cache});
  BT_ASSIGN_OR_RETURN(ContextTree tree, scanner.Scan(context.dir));
  BT_ASSIGN_OR_RETURN(Checksum128 sum, tree.ChecksumOf("."));
  if (!(sum == context.expected)) {
    return MakeError(ErrorCode::kDataLoss, "context checksum " + sum.Hex() + " is wrong");
  }
  return cache.Save();
}

// One unit of a build's work, as a build does it: a lease first, then a blob and a committed
// snapshot under it, then the cache record naming both; read back while still leased (so no
// prune may take it), then the lease ends and the result is prune's to take.
Result<void> WorkStep(CacheRoot& root, std::mt19937& rng) {
  BT_ASSIGN_OR_RETURN(Lease lease, Lease::Acquire(root.db()));
  const std::string data = "blob " + std::to_string(rng() % 64);
  const oci::Digest digest = oci::Digest::Of(data);
  BT_TRY(root.db().Update([&](WriteTxn& txn) { return lease.AddBlob(txn, digest); }));
  if (!root.content().Contains(digest)) {
    BT_ASSIGN_OR_RETURN(IngestWriter w, root.content().BeginIngest(data));
    // A killed writer left part of it: an ingest resumes where the data stops.
    if (w.offset() > data.size()) return MakeError(ErrorCode::kInternal, "ingest too long");
    BT_TRY(w.Write(std::string_view(data).substr(w.offset())));
    BT_TRY(w.Commit(std::nullopt, digest));
  }

  BT_ASSIGN_OR_RETURN(std::string id, root.snapshots().Prepare(std::nullopt));
  BT_TRY(root.db().Update([&](WriteTxn& txn) { return lease.AddSnapshot(txn, id); }));
  BT_TRY(root.snapshots().Commit(id));
  const oci::Digest key = oci::Digest::Of(id);
  BT_TRY(root.db().Update([&](WriteTxn& txn) -> Result<void> {
    SnapshotRecord s;
    s.id = id;
    s.kind = SnapshotKind::kCommitted;
    BT_TRY(txn.PutSnapshot(s));
    CacheRecord r;
    r.key = key;
    r.snapshot_ids = {id};
    r.blobs = {digest};
    r.size_bytes = 1;
    r.created = r.last_used = std::chrono::system_clock::now();
    return txn.PutCacheRecord(r);
  }));

  std::optional<CacheRecord> back;
  {
    BT_ASSIGN_OR_RETURN(ReadTxn txn, root.db().BeginRead());
    BT_ASSIGN_OR_RETURN(back, txn.GetCacheRecord(key));
  }  // ended before Release(), which begins a write transaction on this thread
  if (!back || back->snapshot_ids != std::vector<std::string>{id} ||
      back->blobs != std::vector<oci::Digest>{digest}) {
    return MakeError(ErrorCode::kDataLoss, "cache record " + key.ToString() + " lost or altered");
  }
  BT_TRY(root.content().Verify(digest));
  if (!root.snapshots().IsCommitted(id)) {
    return MakeError(ErrorCode::kDataLoss, "snapshot " + id + " lost while leased");
  }
  return lease.Release();
}

// Works until killed (steps < 0), for `steps` steps, or until `deadline`; prints how many.
[[noreturn]] void Worker(const std::string& path, const Context& context, unsigned seed,
                         int steps, std::optional<std::chrono::steady_clock::time_point> deadline =
                                        std::nullopt) {
  std::mt19937 rng(seed);
  Result<CacheRoot> root = CacheRoot::Open(path);
  if (!root) ::_exit(3);
  int done = 0;
  for (; steps < 0 || done < steps; ++done) {
    if (deadline && std::chrono::steady_clock::now() >= *deadline) break;
    Result<void> step = rng() % 4 == 0 ? ScanStep(*root, context) : WorkStep(*root, rng);
    if (!step) {
      std::fprintf(stderr, "worker %u, step %d: %s\n", seed, done, step.error().message.c_str());
      ::_exit(4);
    }
    if (rng() % 8 == 0) {
      PruneOptions keep;
      keep.keep_bytes = 20;
      Result<PruneReport> pruned = Prune(*root, keep);
      if (!pruned) {
        std::fprintf(stderr, "worker %u, prune: %s\n", seed, pruned.error().message.c_str());
        ::_exit(5);
      }
    }
  }
  std::fprintf(stderr, "worker %u: %d steps\n", seed, done);
  ::_exit(0);
}

void ExpectNothingTrustedIsWrong(CacheRoot& root, const Context& context) {
  // The shared stat cache, whatever was killed while writing it, still gives true checksums.
  const Result<void> scanned = ScanStep(root, context);
  INFO((scanned ? "" : scanned.error().message));
  CHECK(scanned.has_value());
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
  const Context context = Context::Make(dir.path() + "/context");
  REQUIRE(CacheRoot::Open(path).has_value());
  std::mt19937 rng(42);
  for (int round = 0; round < 100; ++round) {
    const pid_t child = ::fork();
    if (child == 0) Worker(path, context, static_cast<unsigned>(round), -1);
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
  ExpectNothingTrustedIsWrong(*root, context);
}

// The multi-process stress of issue 4: workers ingesting, committing, recording, scanning and
// pruning on one root for 30 s. Every step checks its own result (WorkStep, ScanStep), so a
// lost or altered record fails the worker; the root is clean afterwards.
TEST_CASE("several processes working on one root for 30 s all succeed", "[cache][concurrency]") {
  TempDir dir = *TempDir::Create("", "bt-concurrent-");
  const std::string path = dir.path() + "/root";
  const Context context = Context::Make(dir.path() + "/context");
  REQUIRE(CacheRoot::Open(path).has_value());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::vector<pid_t> children;
  for (unsigned i = 0; i < 4; ++i) {
    const pid_t child = ::fork();
    if (child == 0) Worker(path, context, 1000 + i, -1, deadline);
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
  for (const Damage& d : report->damage) {
    INFO(DamageKindName(d.kind) << " " << d.what << ": " << d.detail);
    CHECK(false);
  }
}

}  // namespace
}  // namespace bt::cache
