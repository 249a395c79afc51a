// MetadataDb and its transactions: round trips, abort on destruction, the refcount and parent
// invariants, map growth, several processes writing at once, and kill -9 inside a write.
// Children are fork()ed before they open the DB (LMDB environments must not cross a fork) and
// report through their exit status, never through Catch2.
#include "cache/metadata_db.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"

namespace bt::cache {
namespace {

TempDir MakeRoot() {
  Result<TempDir> dir = TempDir::Create("", "bt-metadata-db-");
  REQUIRE(dir.has_value());
  return std::move(*dir);
}

std::string SnapshotId(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%012x", i);
  return buf;
}

oci::Digest Key(const std::string& name) { return oci::Digest::Of(name); }

Timestamp At(std::int64_t seconds) { return Timestamp(std::chrono::seconds(seconds)); }

SnapshotRecord Snapshot(int i, SnapshotKind kind = SnapshotKind::kCommitted,
                        std::optional<int> parent = std::nullopt) {
  SnapshotRecord s;
  s.id = SnapshotId(i);
  if (parent) s.parent = SnapshotId(*parent);
  s.kind = kind;
  s.size_bytes = 100 + i;
  s.created = At(i);
  return s;
}

CacheRecord Record(const std::string& name, std::vector<std::string> snapshots) {
  CacheRecord r;
  r.key = Key(name);
  r.snapshot_ids = std::move(snapshots);
  r.output_metadata = "meta:" + name;
  r.size_bytes = 4096;
  r.created = At(1000);
  r.last_used = At(1000);
  r.description = "RUN " + name;
  return r;
}

// Commits `fn`'s writes or fails the test.
void Write(MetadataDb& db, const std::function<Result<void>(WriteTxn&)>& fn) {
  const Result<void> r = db.Update(fn);
  INFO((r.has_value() ? std::string() : r.error().message));
  REQUIRE(r.has_value());
}

std::uint32_t Refcount(MetadataDb& db, int snapshot) {
  Result<ReadTxn> txn = db.BeginRead();
  REQUIRE(txn.has_value());
  Result<std::optional<SnapshotRecord>> s = txn->GetSnapshot(SnapshotId(snapshot));
  REQUIRE(s.has_value());
  REQUIRE(s->has_value());
  return (*s)->refcount;
}

// Runs `body` in a fork()ed child whose exit status is body's return value.
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

TEST_CASE("a cache record written and committed reads back field for field",
          "[cache][metadata_db]") {
  TempDir root = MakeRoot();
  Result<MetadataDb> db = MetadataDb::Open(root.path());
  REQUIRE(db.has_value());
  Write(*db, [](WriteTxn& txn) -> Result<void> {
    BT_TRY(txn.PutSnapshot(Snapshot(1)));
    BT_TRY(txn.PutSnapshot(Snapshot(2, SnapshotKind::kCommitted, 1)));
    return txn.PutCacheRecord(Record("a", {SnapshotId(2), SnapshotId(1)}));
  });

  Result<ReadTxn> txn = db->BeginRead();
  REQUIRE(txn.has_value());
  Result<std::optional<CacheRecord>> got = txn->GetCacheRecord(Key("a"));
  REQUIRE(got.has_value());
  REQUIRE(got->has_value());
  const CacheRecord& r = **got;
  CHECK(r.key == Key("a"));
  CHECK(r.snapshot_ids == std::vector<std::string>{SnapshotId(2), SnapshotId(1)});
  CHECK(r.output_metadata == "meta:a");
  CHECK(r.size_bytes == 4096);
  CHECK(r.created == At(1000));
  CHECK(r.description == "RUN a");
  CHECK_FALSE(txn->GetCacheRecord(Key("b"))->has_value());

  Result<std::optional<SnapshotRecord>> child = txn->GetSnapshot(SnapshotId(2));
  REQUIRE(child.has_value());
  REQUIRE(child->has_value());
  CHECK((*child)->parent == SnapshotId(1));
  CHECK((*child)->kind == SnapshotKind::kCommitted);
  CHECK((*child)->size_bytes == 102);
  CHECK(txn->ListSnapshots()->size() == 2);
  CHECK(txn->ListCacheRecords()->size() == 1);
  txn = db->BeginRead();  // the old reader ends here

  Write(*db, [](WriteTxn& txn) { return txn.TouchLastUsed(Key("a"), At(2000)); });
  Result<ReadTxn> after = db->BeginRead();
  REQUIRE(after.has_value());
  CHECK((*after->GetCacheRecord(Key("a")))->last_used == At(2000));
  CHECK((*after->GetCacheRecord(Key("a")))->created == At(1000));
}

TEST_CASE("a write transaction destroyed without Commit leaves nothing behind",
          "[cache][metadata_db]") {
  TempDir root = MakeRoot();
  Result<MetadataDb> db = MetadataDb::Open(root.path());
  REQUIRE(db.has_value());
  {
    Result<WriteTxn> txn = db->BeginWrite();
    REQUIRE(txn.has_value());
    REQUIRE(txn->PutSnapshot(Snapshot(1)).has_value());
    REQUIRE(txn->PutCacheRecord(Record("a", {SnapshotId(1)})).has_value());
    // The transaction sees its own writes.
    CHECK(txn->GetCacheRecord(Key("a"))->has_value());
  }
  {
    Result<ReadTxn> read = db->BeginRead();
    REQUIRE(read.has_value());
    CHECK_FALSE(read->GetCacheRecord(Key("a"))->has_value());
    CHECK(read->ListSnapshots()->empty());
  }

  SECTION("and an Update whose function fails commits nothing either") {
    const Result<void> r = db->Update([](WriteTxn& txn) -> Result<void> {
      BT_TRY(txn.PutSnapshot(Snapshot(1)));
      return MakeError(ErrorCode::kCancelled, "stop");
    });
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kCancelled);
    Result<ReadTxn> again = db->BeginRead();
    CHECK(again->ListSnapshots()->empty());
  }
}

TEST_CASE("a snapshot's refcount counts the cache records that name it", "[cache][metadata_db]") {
  TempDir root = MakeRoot();
  Result<MetadataDb> db = MetadataDb::Open(root.path());
  REQUIRE(db.has_value());
  Write(*db, [](WriteTxn& txn) -> Result<void> {
    BT_TRY(txn.PutSnapshot(Snapshot(1)));
    BT_TRY(txn.PutSnapshot(Snapshot(2)));
    BT_TRY(txn.PutCacheRecord(Record("a", {SnapshotId(1)})));
    // A snapshot named twice in one record counts once.
    return txn.PutCacheRecord(Record("b", {SnapshotId(1), SnapshotId(1)}));
  });
  CHECK(Refcount(*db, 1) == 2);
  CHECK(Refcount(*db, 2) == 0);

  // Replacing a record moves its references.
  Write(*db, [](WriteTxn& txn) { return txn.PutCacheRecord(Record("a", {SnapshotId(2)})); });
  CHECK(Refcount(*db, 1) == 1);
  CHECK(Refcount(*db, 2) == 1);

  // PutSnapshot never changes the refcount, whatever the caller passes.
  Write(*db, [](WriteTxn& txn) {
    SnapshotRecord s = Snapshot(1);
    s.refcount = 99;
    s.size_bytes = 7;
    return txn.PutSnapshot(s);
  });
  CHECK(Refcount(*db, 1) == 1);

  Result<WriteTxn> txn = db->BeginWrite();
  REQUIRE(txn.has_value());
  CHECK(txn->DeleteSnapshot(SnapshotId(1)).error().code == ErrorCode::kFailedPrecondition);
  REQUIRE(txn->DeleteCacheRecord(Key("b")).has_value());
  CHECK(txn->DeleteCacheRecord(Key("b")).error().code == ErrorCode::kNotFound);
  REQUIRE(txn->DeleteSnapshot(SnapshotId(1)).has_value());
  CHECK(txn->DeleteSnapshot(SnapshotId(1)).error().code == ErrorCode::kNotFound);
  REQUIRE(txn->Commit().has_value());
  CHECK(Refcount(*db, 2) == 1);
}

TEST_CASE("a cache record may name only committed snapshots that have records",
          "[cache][metadata_db]") {
  TempDir root = MakeRoot();
  Result<MetadataDb> db = MetadataDb::Open(root.path());
  REQUIRE(db.has_value());
  Result<WriteTxn> txn = db->BeginWrite();
  REQUIRE(txn.has_value());
  REQUIRE(txn->PutSnapshot(Snapshot(1, SnapshotKind::kActive)).has_value());
  CHECK(txn->PutCacheRecord(Record("a", {SnapshotId(9)})).error().code == ErrorCode::kNotFound);
  CHECK(txn->PutCacheRecord(Record("a", {SnapshotId(1)})).error().code ==
        ErrorCode::kFailedPrecondition);
  CHECK(txn->PutCacheRecord(Record("a", {"../escape"})).error().code ==
        ErrorCode::kInvalidArgument);
  CacheRecord zero = Record("a", {});
  zero.key = oci::Digest();
  CHECK(txn->PutCacheRecord(zero).error().code == ErrorCode::kInvalidArgument);
  CacheRecord big = Record("a", {});
  big.output_metadata.assign(kMaxOutputMetadataSize + 1, 'x');
  CHECK(txn->PutCacheRecord(big).error().code == ErrorCode::kInvalidArgument);
  CHECK(txn->TouchLastUsed(Key("a"), At(1)).error().code == ErrorCode::kNotFound);
  // Refused writes leave the transaction usable.
  REQUIRE(txn->PutSnapshot(Snapshot(1)).has_value());
  REQUIRE(txn->PutCacheRecord(Record("a", {SnapshotId(1)})).has_value());
  REQUIRE(txn->Commit().has_value());
}

TEST_CASE("snapshot records keep their parent chain consistent", "[cache][metadata_db]") {
  TempDir root = MakeRoot();
  Result<MetadataDb> db = MetadataDb::Open(root.path());
  REQUIRE(db.has_value());
  Result<WriteTxn> txn = db->BeginWrite();
  REQUIRE(txn.has_value());
  CHECK(txn->PutSnapshot(Snapshot(2, SnapshotKind::kActive, 1)).error().code ==
        ErrorCode::kNotFound);
  REQUIRE(txn->PutSnapshot(Snapshot(1, SnapshotKind::kActive)).has_value());
  CHECK(txn->PutSnapshot(Snapshot(2, SnapshotKind::kActive, 1)).error().code ==
        ErrorCode::kFailedPrecondition);  // an active parent
  CHECK(txn->PutSnapshot(Snapshot(1, SnapshotKind::kActive, 1)).error().code ==
        ErrorCode::kInvalidArgument);  // its own parent
  REQUIRE(txn->PutSnapshot(Snapshot(1)).has_value());  // commit it
  CHECK(txn->PutSnapshot(Snapshot(1, SnapshotKind::kActive)).error().code ==
        ErrorCode::kFailedPrecondition);  // committed stays committed
  REQUIRE(txn->PutSnapshot(Snapshot(2, SnapshotKind::kActive, 1)).has_value());
  CHECK(txn->PutSnapshot(Snapshot(2, SnapshotKind::kActive)).error().code ==
        ErrorCode::kFailedPrecondition);  // the parent cannot change
  CHECK(txn->DeleteSnapshot(SnapshotId(1)).error().code == ErrorCode::kFailedPrecondition);
  REQUIRE(txn->DeleteSnapshot(SnapshotId(2)).has_value());
  REQUIRE(txn->DeleteSnapshot(SnapshotId(1)).has_value());
  REQUIRE(txn->Commit().has_value());
}

TEST_CASE("lease records are stored, listed and deleted", "[cache][metadata_db]") {
  TempDir root = MakeRoot();
  Result<MetadataDb> db = MetadataDb::Open(root.path());
  REQUIRE(db.has_value());
  LeaseRecord lease;
  lease.id = std::string(32, 'c');
  lease.owner_pid = 77;
  lease.lock_path = root.path() + "/leases/" + lease.id + ".lock";
  lease.created = At(5);
  lease.snapshot_ids = {SnapshotId(4)};  // need not have a record
  lease.blobs = {oci::Digest::Of("blob")};
  Write(*db, [&](WriteTxn& txn) { return txn.PutLease(lease); });
  {
    Result<ReadTxn> txn = db->BeginRead();
    REQUIRE(txn.has_value());
    Result<std::optional<LeaseRecord>> got = txn->GetLease(lease.id);
    REQUIRE(got.has_value());
    REQUIRE(got->has_value());
    CHECK((*got)->owner_pid == 77);
    CHECK((*got)->lock_path == lease.lock_path);
    CHECK((*got)->snapshot_ids == lease.snapshot_ids);
    CHECK((*got)->blobs == lease.blobs);
    CHECK(txn->ListLeases()->size() == 1);
  }
  Result<WriteTxn> txn = db->BeginWrite();
  REQUIRE(txn.has_value());
  LeaseRecord bad = lease;
  bad.id = "../../etc/passwd";
  CHECK(txn->PutLease(bad).error().code == ErrorCode::kInvalidArgument);
  REQUIRE(txn->DeleteLease(lease.id).has_value());
  CHECK(txn->DeleteLease(lease.id).error().code == ErrorCode::kNotFound);
  REQUIRE(txn->Commit().has_value());
}

TEST_CASE("a DB that grows past its initial map size keeps working and keeps every record",
          "[cache][metadata_db]") {
  TempDir root = MakeRoot();
  MetadataDbOptions options;
  options.initial_map_size = 64 << 10;
  constexpr int kRecords = 300;  // about 1.2 MB of output metadata: several doublings
  std::size_t first_size = 0;
  {
    Result<MetadataDb> db = MetadataDb::Open(root.path(), options);
    REQUIRE(db.has_value());
    first_size = db->map_size();
    Write(*db, [](WriteTxn& txn) { return txn.PutSnapshot(Snapshot(1)); });
    for (int i = 0; i < kRecords; ++i) {
      Write(*db, [i](WriteTxn& txn) {
        CacheRecord r = Record("r" + std::to_string(i), {SnapshotId(1)});
        r.output_metadata.assign(4000, static_cast<char>('a' + i % 26));
        return txn.PutCacheRecord(r);
      });
    }
    CHECK(db->map_size() > first_size);
    // One transaction larger than the map at the time also succeeds through Update.
    Write(*db, [](WriteTxn& txn) -> Result<void> {
      for (int i = 0; i < 200; ++i) {
        CacheRecord r = Record("big" + std::to_string(i), {SnapshotId(1)});
        r.output_metadata.assign(8000, 'z');
        BT_TRY(txn.PutCacheRecord(r));
      }
      return {};
    });
  }
  // Reopened with the small initial size, it adopts the grown map.
  Result<MetadataDb> db = MetadataDb::Open(root.path(), options);
  REQUIRE(db.has_value());
  Result<ReadTxn> txn = db->BeginRead();
  REQUIRE(txn.has_value());
  Result<std::vector<CacheRecord>> all = txn->ListCacheRecords();
  REQUIRE(all.has_value());
  CHECK(all->size() == kRecords + 200);
  Result<std::optional<CacheRecord>> one = txn->GetCacheRecord(Key("r123"));
  REQUIRE(one.has_value());
  REQUIRE(one->has_value());
  CHECK((*one)->output_metadata == std::string(4000, static_cast<char>('a' + 123 % 26)));
  CHECK((*txn->GetSnapshot(SnapshotId(1)))->refcount == kRecords + 200);
}

TEST_CASE("a DB at its maximum map size reports no space and keeps its committed state",
          "[cache][metadata_db]") {
  TempDir root = MakeRoot();
  MetadataDbOptions options;
  options.initial_map_size = 64 << 10;
  options.max_map_size = 256 << 10;
  Result<MetadataDb> db = MetadataDb::Open(root.path(), options);
  REQUIRE(db.has_value());
  Write(*db, [](WriteTxn& txn) -> Result<void> {
    BT_TRY(txn.PutSnapshot(Snapshot(1)));
    return txn.PutCacheRecord(Record("kept", {SnapshotId(1)}));
  });
  const Result<void> r = db->Update([](WriteTxn& txn) -> Result<void> {
    CacheRecord big = Record("huge", {SnapshotId(1)});
    big.output_metadata.assign(kMaxOutputMetadataSize, 'x');
    return txn.PutCacheRecord(big);
  });
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kIo);
  CHECK(r.error().sys_errno == ENOSPC);
  Result<ReadTxn> txn = db->BeginRead();
  REQUIRE(txn.has_value());
  CHECK(txn->GetCacheRecord(Key("kept"))->has_value());
  CHECK_FALSE(txn->GetCacheRecord(Key("huge"))->has_value());
}

TEST_CASE("threads sharing one DB write while the map grows under them and readers move "
          "between threads",
          "[cache][metadata_db]") {
  TempDir root = MakeRoot();
  MetadataDbOptions options;
  options.initial_map_size = 64 << 10;
  Result<MetadataDb> db = MetadataDb::Open(root.path(), options);
  REQUIRE(db.has_value());
  Write(*db, [](WriteTxn& txn) { return txn.PutSnapshot(Snapshot(1)); });
  constexpr int kThreads = 4;
  constexpr int kPerThread = 60;
  std::atomic<int> failures{0};
  std::mutex errors_mu;
  std::string errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const Result<void> r = db->Update([&](WriteTxn& txn) {
          const std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
          CacheRecord rec = Record(name, {SnapshotId(1)});
          rec.output_metadata.assign(2000, static_cast<char>('a' + t));
          return txn.PutCacheRecord(rec);
        });
        if (!r.has_value()) {
          ++failures;
          std::lock_guard<std::mutex> lock(errors_mu);
          errors += r.error().message + "\n";
        }
        // Begun here, ended on another thread (MDB_NOTLS).
        Result<ReadTxn> read = db->BeginRead();
        if (!read.has_value()) {
          ++failures;
          continue;
        }
        std::thread([txn = std::move(*read), &failures]() mutable {
          if (!txn.ListSnapshots().has_value()) ++failures;
          ReadTxn ended = std::move(txn);
        }).join();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  INFO(errors);
  CHECK(failures == 0);
  CHECK(db->map_size() > (std::size_t{64} << 10));
  Result<ReadTxn> txn = db->BeginRead();
  REQUIRE(txn.has_value());
  CHECK(txn->ListCacheRecords()->size() == kThreads * kPerThread);
  CHECK((*txn->GetSnapshot(SnapshotId(1)))->refcount == kThreads * kPerThread);
}

TEST_CASE("two processes writing different records at the same time both succeed",
          "[cache][metadata_db]") {
  TempDir root = MakeRoot();
  const std::string path = root.path();
  constexpr int kPerProcess = 150;
  MetadataDbOptions options;
  options.initial_map_size = 64 << 10;  // both processes grow the map under each other
  {
    Result<MetadataDb> db = MetadataDb::Open(path, options);
    REQUIRE(db.has_value());
    Write(*db, [](WriteTxn& txn) { return txn.PutSnapshot(Snapshot(1)); });
  }
  auto writer = [&](char who) {
    return [&path, &options, who]() -> int {
      Result<MetadataDb> db = MetadataDb::Open(path, options);
      if (!db.has_value()) return 10;
      for (int i = 0; i < kPerProcess; ++i) {
        const Result<void> r = db->Update([&](WriteTxn& txn) {
          CacheRecord rec = Record(std::string(1, who) + std::to_string(i), {SnapshotId(1)});
          rec.output_metadata.assign(1500, who);
          return txn.PutCacheRecord(rec);
        });
        if (!r.has_value()) {
          std::fprintf(stderr, "writer %c: %s\n", who, r.error().message.c_str());
          return 11;
        }
        // Readers in between see a consistent state while the other process writes.
        Result<ReadTxn> txn = db->BeginRead();
        if (!txn.has_value() ||
            !txn->GetCacheRecord(Key(std::string(1, who) + "0"))->has_value()) {
          return 12;
        }
      }
      return 0;
    };
  };
  const pid_t a = Spawn(writer('a'));
  const pid_t b = Spawn(writer('b'));
  CHECK(ExitStatus(a) == 0);
  CHECK(ExitStatus(b) == 0);

  Result<MetadataDb> db = MetadataDb::Open(path, options);
  REQUIRE(db.has_value());
  Result<ReadTxn> txn = db->BeginRead();
  REQUIRE(txn.has_value());
  for (char who : {'a', 'b'}) {
    for (int i = 0; i < kPerProcess; ++i) {
      Result<std::optional<CacheRecord>> r =
          txn->GetCacheRecord(Key(std::string(1, who) + std::to_string(i)));
      REQUIRE(r.has_value());
      REQUIRE(r->has_value());
      CHECK((*r)->output_metadata == std::string(1500, who));
    }
  }
  CHECK((*txn->GetSnapshot(SnapshotId(1)))->refcount == 2 * kPerProcess);
}

TEST_CASE("a process killed inside a write transaction leaves the last committed state",
          "[cache][metadata_db]") {
  TempDir root = MakeRoot();
  const std::string path = root.path();
  int ready[2];
  REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
  const pid_t child = Spawn([&]() -> int {
    ::close(ready[0]);
    Result<MetadataDb> db = MetadataDb::Open(path);
    if (!db.has_value()) return 10;
    if (!db->Update([](WriteTxn& txn) -> Result<void> {
              BT_TRY(txn.PutSnapshot(Snapshot(1)));
              return txn.PutCacheRecord(Record("committed", {SnapshotId(1)}));
            }).has_value()) {
      return 11;
    }
    Result<WriteTxn> txn = db->BeginWrite();
    if (!txn.has_value()) return 12;
    if (!txn->PutSnapshot(Snapshot(2)).has_value()) return 13;
    if (!txn->PutCacheRecord(Record("uncommitted", {SnapshotId(2)})).has_value()) return 14;
    if (!txn->DeleteCacheRecord(Key("committed")).has_value()) return 15;
    if (::write(ready[1], "x", 1) != 1) return 16;
    for (;;) ::pause();  // holding the writer lock until killed
  });
  ::close(ready[1]);
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  ::close(ready[0]);
  REQUIRE(::kill(child, SIGKILL) == 0);
  CHECK(ExitStatus(child) == 128 + SIGKILL);

  Result<MetadataDb> db = MetadataDb::Open(path);
  REQUIRE(db.has_value());
  {
    Result<ReadTxn> txn = db->BeginRead();
    REQUIRE(txn.has_value());
    CHECK(txn->GetCacheRecord(Key("committed"))->has_value());
    CHECK_FALSE(txn->GetCacheRecord(Key("uncommitted"))->has_value());
    CHECK_FALSE(txn->GetSnapshot(SnapshotId(2))->has_value());
    CHECK((*txn->GetSnapshot(SnapshotId(1)))->refcount == 1);
  }
  // The dead writer's lock was recovered: writing works.
  Write(*db, [](WriteTxn& txn) { return txn.PutSnapshot(Snapshot(3)); });
}

TEST_CASE("a process killed at random moments while writing never leaves half a transaction",
          "[cache][metadata_db]") {
  TempDir root = MakeRoot();
  const std::string path = root.path();
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> delay_us(0, 20000);
  int next = 1;
  for (int round = 0; round < 6; ++round) {
    const int first = next;
    next += 100000;
    int started[2];
    REQUIRE(::pipe2(started, O_CLOEXEC) == 0);
    // Each transaction writes a snapshot and the cache record that names it: both or neither.
    // The map starts small, so kills also land in the middle of growing it.
    const pid_t child = Spawn([&path, first, &started]() -> int {
      ::close(started[0]);
      MetadataDbOptions options;
      options.initial_map_size = 64 << 10;
      Result<MetadataDb> db = MetadataDb::Open(path, options);
      if (!db.has_value()) return 10;
      for (int i = first;; ++i) {
        const Result<void> r = db->Update([i](WriteTxn& txn) -> Result<void> {
          BT_TRY(txn.PutSnapshot(Snapshot(i)));
          return txn.PutCacheRecord(Record(std::to_string(i), {SnapshotId(i)}));
        });
        if (!r.has_value()) return 11;
        if (i == first && ::write(started[1], "x", 1) != 1) return 12;
      }
    });
    ::close(started[1]);
    char c = 0;
    REQUIRE(::read(started[0], &c, 1) == 1);  // at least one commit of this round is in
    ::close(started[0]);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    REQUIRE(::kill(child, SIGKILL) == 0);
    CHECK(ExitStatus(child) == 128 + SIGKILL);

    Result<MetadataDb> db = MetadataDb::Open(path);
    REQUIRE(db.has_value());
    Result<ReadTxn> txn = db->BeginRead();
    REQUIRE(txn.has_value());
    Result<std::vector<SnapshotRecord>> snapshots = txn->ListSnapshots();
    Result<std::vector<CacheRecord>> records = txn->ListCacheRecords();
    REQUIRE(snapshots.has_value());
    REQUIRE(records.has_value());
    CHECK(records->size() >= static_cast<std::size_t>(round + 1));
    CHECK(snapshots->size() == records->size());
    for (const SnapshotRecord& s : *snapshots) CHECK(s.refcount == 1);
    for (const CacheRecord& r : *records) {
      REQUIRE(r.snapshot_ids.size() == 1);
      CHECK(txn->GetSnapshot(r.snapshot_ids[0])->has_value());
    }
  }
}

TEST_CASE("a data file that is not an LMDB file is reported as data loss",
          "[cache][metadata_db]") {
  TempDir root = MakeRoot();
  REQUIRE(::mkdir((root.path() + "/db").c_str(), 0700) == 0);
  std::ofstream(root.path() + "/db/data.mdb") << std::string(64 << 10, 'G');
  const Result<MetadataDb> db = MetadataDb::Open(root.path());
  REQUIRE_FALSE(db.has_value());
  CHECK(db.error().code == ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace bt::cache
