// Leases: the lock file and the record live and die together; a holder killed with SIGKILL
// leaves a stale lease that the reaper removes, while a running holder's lease is kept.
// Children are fork()ed before they open the DB and report through their exit status.
#include "cache/lease.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"

namespace bt::cache {
namespace {

TempDir MakeRoot() {
  Result<TempDir> dir = TempDir::Create("", "bt-lease-");
  REQUIRE(dir.has_value());
  return std::move(*dir);
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// The snapshots live leases hold, as prune sees them.
std::set<std::string> HeldSnapshots(MetadataDb& db) {
  Result<ReadTxn> txn = db.BeginRead();
  REQUIRE(txn.has_value());
  Result<HeldByLeases> held = HeldByLiveLeases(*txn, db.root());
  REQUIRE(held.has_value());
  return held->snapshot_ids;
}

pid_t Spawn(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(body());
  return pid;
}

int ExitStatus(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

const LeaseStatus* Find(const std::vector<LeaseStatus>& all, const std::string& id) {
  auto it = std::find_if(all.begin(), all.end(),
                         [&](const LeaseStatus& s) { return s.record.id == id; });
  return it == all.end() ? nullptr : &*it;
}

TEST_CASE("a lease holds a locked file, and a record from the first thing it holds",
          "[cache][lease]") {
  TempDir root = MakeRoot();
  Result<MetadataDb> db = MetadataDb::Open(root.path());
  REQUIRE(db.has_value());
  Result<Lease> lease = Lease::Acquire(*db);
  REQUIRE(lease.has_value());
  CHECK(IsValidLeaseId(lease->id()));
  CHECK(lease->lock_path() == root.path() + "/leases/" + lease->id() + ".lock");
  CHECK(Exists(lease->lock_path()));
  CHECK(LiveLeases(*db)->empty());  // acquiring wrote nothing to the DB
  CHECK(*LeaseIsLive(root.path(), lease->id()));

  REQUIRE(db->Update([&](WriteTxn& txn) -> Result<void> {
              BT_TRY(lease->AddSnapshot(txn, "0123456789ab"));
              BT_TRY(lease->AddSnapshot(txn, "0123456789ab"));  // twice is once
              return lease->AddBlob(txn, oci::Digest::Of("layer"));
            }).has_value());

  Result<std::vector<LeaseStatus>> all = LiveLeases(*db);
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 1);
  const LeaseStatus& status = all->front();
  CHECK(status.state == LeaseState::kLive);
  CHECK(status.record.owner_pid == ::getpid());
  CHECK(status.record.lock_path == lease->lock_path());
  CHECK(status.record.snapshot_ids == std::vector<std::string>{"0123456789ab"});
  CHECK(status.record.blobs == std::vector<oci::Digest>{oci::Digest::Of("layer")});
  CHECK(HeldSnapshots(*db).count("0123456789ab") == 1);

  // The reaper leaves a live lease alone.
  Result<ReapReport> reap = ReapStaleLeases(*db);
  REQUIRE(reap.has_value());
  CHECK(reap->reaped_ids.empty());
  CHECK(reap->orphan_lock_files == 0);
  CHECK(Exists(lease->lock_path()));

  // Released: the file goes, the record stays behind holding nothing.
  const std::string id = lease->id();
  const std::string path = lease->lock_path();
  REQUIRE(lease->Release().has_value());
  REQUIRE(lease->Release().has_value());  // idempotent
  CHECK_FALSE(Exists(path));
  CHECK_FALSE(*LeaseIsLive(root.path(), id));
  Result<std::vector<LeaseStatus>> after = LiveLeases(*db);
  REQUIRE(after.has_value());
  REQUIRE(after->size() == 1);
  CHECK(after->front().state == LeaseState::kStale);
  CHECK(HeldSnapshots(*db).empty());
  Result<WriteTxn> txn = db->BeginWrite();
  REQUIRE(txn.has_value());
  CHECK(lease->AddSnapshot(*txn, "0123456789ab").error().code == ErrorCode::kFailedPrecondition);
}

TEST_CASE("the next lease to record deletes the records of released leases", "[cache][lease]") {
  TempDir root = MakeRoot();
  Result<MetadataDb> db = MetadataDb::Open(root.path());
  REQUIRE(db.has_value());
  std::string released_id;
  {
    Result<Lease> lease = Lease::Acquire(*db);
    REQUIRE(lease.has_value());
    Lease moved = std::move(*lease);  // the moved-from object releases nothing
    released_id = moved.id();
    REQUIRE(db->Update([&](WriteTxn& t) { return moved.AddSnapshot(t, "00000000000a"); })
                .has_value());
    CHECK(*LeaseIsLive(root.path(), released_id));
  }
  CHECK_FALSE(Exists(root.path() + "/leases/" + released_id + ".lock"));
  REQUIRE(LiveLeases(*db)->size() == 1);  // stale, left behind

  // A lease whose holder died keeps its lock file: only the reaper, which locks it, may go.
  const std::string dead_id(32, 'a');
  std::ofstream(root.path() + "/leases/" + dead_id + ".lock").flush();
  LeaseRecord dead;
  dead.id = dead_id;
  REQUIRE(db->Update([&](WriteTxn& t) { return t.PutLease(dead); }).has_value());

  Result<Lease> next = Lease::Acquire(*db);
  REQUIRE(next.has_value());
  REQUIRE(db->Update([&](WriteTxn& t) { return next->AddSnapshot(t, "00000000000b"); })
              .has_value());
  Result<std::vector<LeaseStatus>> all = LiveLeases(*db);
  REQUIRE(all.has_value());
  CHECK(Find(*all, released_id) == nullptr);
  REQUIRE(Find(*all, dead_id) != nullptr);
  CHECK(Find(*all, dead_id)->state == LeaseState::kStale);
  REQUIRE(Find(*all, next->id()) != nullptr);
  CHECK(Find(*all, next->id())->state == LeaseState::kLive);
}

TEST_CASE("a holder killed with SIGKILL leaves a stale lease that the reaper removes, "
          "while a live holder's lease is kept",
          "[cache][lease]") {
  TempDir root = MakeRoot();
  const std::string path = root.path();
  int ready[2];
  REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
  const pid_t child = Spawn([&]() -> int {
    ::close(ready[0]);
    Result<MetadataDb> db = MetadataDb::Open(path);
    if (!db.has_value()) return 10;
    Result<Lease> lease = Lease::Acquire(*db);
    if (!lease.has_value()) return 11;
    if (!db->Update([&](WriteTxn& txn) { return lease->AddSnapshot(txn, "00000000000c"); })
             .has_value()) {
      return 12;
    }
    if (::write(ready[1], lease->id().data(), lease->id().size()) != 32) return 13;
    for (;;) ::pause();
  });
  ::close(ready[1]);
  char buf[32];
  REQUIRE(::read(ready[0], buf, sizeof buf) == 32);
  ::close(ready[0]);
  const std::string child_id(buf, sizeof buf);

  Result<MetadataDb> db = MetadataDb::Open(path);
  REQUIRE(db.has_value());
  Result<Lease> mine = Lease::Acquire(*db);
  REQUIRE(mine.has_value());
  REQUIRE(db->Update([&](WriteTxn& txn) { return mine->AddSnapshot(txn, "00000000000d"); })
              .has_value());

  Result<std::vector<LeaseStatus>> before = LiveLeases(*db);
  REQUIRE(before.has_value());
  REQUIRE(Find(*before, child_id) != nullptr);
  CHECK(Find(*before, child_id)->state == LeaseState::kLive);
  CHECK(Find(*before, child_id)->record.snapshot_ids == std::vector<std::string>{"00000000000c"});
  CHECK(ReapStaleLeases(*db)->reaped_ids.empty());

  REQUIRE(::kill(child, SIGKILL) == 0);
  CHECK(ExitStatus(child) == 128 + SIGKILL);

  Result<std::vector<LeaseStatus>> after = LiveLeases(*db);
  REQUIRE(after.has_value());
  REQUIRE(after->size() == 2);
  REQUIRE(Find(*after, child_id) != nullptr);
  CHECK(Find(*after, child_id)->state == LeaseState::kStale);
  REQUIRE(Find(*after, mine->id()) != nullptr);
  CHECK(Find(*after, mine->id())->state == LeaseState::kLive);

  Result<ReapReport> reap = ReapStaleLeases(*db);
  REQUIRE(reap.has_value());
  CHECK(reap->reaped_ids == std::vector<std::string>{child_id});
  CHECK_FALSE(Exists(path + "/leases/" + child_id + ".lock"));
  CHECK(Exists(mine->lock_path()));
  Result<std::vector<LeaseStatus>> left = LiveLeases(*db);
  REQUIRE(left.has_value());
  REQUIRE(left->size() == 1);
  CHECK(left->front().record.id == mine->id());
  CHECK(left->front().state == LeaseState::kLive);
}

TEST_CASE("a lease record whose lock file is missing is stale", "[cache][lease]") {
  TempDir root = MakeRoot();
  Result<MetadataDb> db = MetadataDb::Open(root.path());
  REQUIRE(db.has_value());
  LeaseRecord record;
  record.id = std::string(32, 'd');
  record.lock_path = "/etc/passwd";  // never used as a path: checks derive it from the id
  REQUIRE(db->Update([&](WriteTxn& txn) { return txn.PutLease(record); }).has_value());
  Result<std::vector<LeaseStatus>> all = LiveLeases(*db);
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 1);
  CHECK(all->front().state == LeaseState::kStale);
  CHECK_FALSE(Exists(root.path() + "/leases/" + record.id + ".lock"));  // probing created nothing
  Result<ReapReport> reap = ReapStaleLeases(*db);
  REQUIRE(reap.has_value());
  CHECK(reap->reaped_ids == std::vector<std::string>{record.id});
  CHECK(Exists("/etc/passwd"));
  CHECK(LiveLeases(*db)->empty());
}

TEST_CASE("the reaper removes unlocked lock files without a record and keeps locked ones",
          "[cache][lease]") {
  TempDir root = MakeRoot();
  Result<MetadataDb> db = MetadataDb::Open(root.path());
  REQUIRE(db.has_value());
  REQUIRE(::mkdir((root.path() + "/leases").c_str(), 0700) == 0);
  const std::string orphan = root.path() + "/leases/" + std::string(32, 'e') + ".lock";
  const std::string held_path = root.path() + "/leases/" + std::string(32, 'f') + ".lock";
  const std::string other = root.path() + "/leases/notes.txt";
  std::ofstream(orphan).flush();
  std::ofstream(other).flush();
  // A holder that has not recorded anything yet.
  Result<FileLock> held = FileLock::Acquire(held_path, LockMode::kExclusive);
  REQUIRE(held.has_value());

  Result<ReapReport> reap = ReapStaleLeases(*db);
  REQUIRE(reap.has_value());
  CHECK(reap->orphan_lock_files == 1);
  CHECK(reap->reaped_ids.empty());
  CHECK_FALSE(Exists(orphan));
  CHECK(Exists(held_path));
  CHECK(Exists(other));  // not a lock file name: not ours to remove
}

TEST_CASE("a lease released in a forked child stays live in the parent", "[cache][lease]") {
  TempDir root = MakeRoot();
  Result<MetadataDb> db = MetadataDb::Open(root.path());
  REQUIRE(db.has_value());
  Result<Lease> lease = Lease::Acquire(*db);
  REQUIRE(lease.has_value());
  REQUIRE(db->Update([&](WriteTxn& txn) { return lease->AddSnapshot(txn, "00000000000e"); })
              .has_value());
  // The child touches no LMDB state: Release in another process only closes its descriptor.
  const pid_t child = Spawn([&]() -> int { return lease->Release().has_value() ? 0 : 1; });
  CHECK(ExitStatus(child) == 0);
  Result<std::vector<LeaseStatus>> all = LiveLeases(*db);
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 1);
  CHECK(all->front().state == LeaseState::kLive);
  CHECK(Exists(lease->lock_path()));
}

}  // namespace
}  // namespace bt::cache
