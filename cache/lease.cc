#include "cache/lease.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <set>
#include <utility>

#include "cache/random_id.h"

namespace bt::cache {
namespace {

constexpr std::string_view kLockSuffix = ".lock";

std::string LeasesDir(const std::string& root) { return root + "/leases"; }
std::string LockPath(const std::string& root, std::string_view id) {
  return LeasesDir(root) + "/" + std::string(id) + std::string(kLockSuffix);
}

Result<void> RemoveLockFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("unlink", path, errno);
  return {};
}

struct Probe {
  LeaseState state = LeaseState::kStale;
  std::optional<FileLock> lock;  // held when the probe found the file free
};

// A missing lock file is stale without locking anything, so that a read-only check does not
// create files; otherwise the lease is live exactly when the lock cannot be taken right now.
Result<Probe> ProbeLockFile(const std::string& path, LockMode mode) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Probe{};
    return ErrnoError("stat lease lock file", path, errno);
  }
  BT_ASSIGN_OR_RETURN(std::optional<FileLock> lock, FileLock::TryAcquire(path, mode));
  if (!lock) return Probe{LeaseState::kLive, std::nullopt};
  return Probe{LeaseState::kStale, std::move(lock)};
}

}  // namespace

// Lease

Lease::Lease(MetadataDb* db, std::string id, FileLock lock)
    : db_(db),
      id_(std::move(id)),
      lock_path_(lock.path()),
      lock_(std::move(lock)),
      owner_pid_(::getpid()),
      created_(std::chrono::system_clock::now()) {}

Lease::Lease(Lease&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      id_(std::move(other.id_)),
      lock_path_(std::move(other.lock_path_)),
      lock_(std::move(other.lock_)),
      owner_pid_(other.owner_pid_),
      created_(other.created_) {
  other.lock_.reset();
}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    (void)Release();
    db_ = std::exchange(other.db_, nullptr);
    id_ = std::move(other.id_);
    lock_path_ = std::move(other.lock_path_);
    lock_ = std::move(other.lock_);
    other.lock_.reset();
    owner_pid_ = other.owner_pid_;
    created_ = other.created_;
  }
  return *this;
}

Lease::~Lease() { (void)Release(); }

Result<Lease> Lease::Acquire(MetadataDb& db) {
  const std::string dir = LeasesDir(db.root());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoError("mkdir", dir, errno);
  BT_ASSIGN_OR_RETURN(std::string id, RandomHexId(16));
  const std::string path = LockPath(db.root(), id);
  // Lock first, record later: a record is never without a holder except after a release or
  // a death.
  BT_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(path, LockMode::kExclusive));
  return Lease(&db, std::move(id), std::move(lock));
}

Result<LeaseRecord> Lease::RecordIn(WriteTxn& txn) {
  if (db_ == nullptr) {
    return MakeError(ErrorCode::kFailedPrecondition, "lease " + id_ + " was released");
  }
  BT_ASSIGN_OR_RETURN(std::optional<LeaseRecord> existing, txn.GetLease(id_));
  if (existing) return std::move(*existing);
  // Released leases leave their records behind (see lease.h); this write is a good time to
  // delete those whose lock file is gone. A record whose file is still there (its holder died)
  // is left to ReapStaleLeases, which locks the file before it removes anything.
  BT_ASSIGN_OR_RETURN(std::vector<LeaseRecord> records, txn.ListLeases());
  for (const LeaseRecord& other : records) {
    if (!IsValidLeaseId(other.id)) continue;
    struct stat st;
    const std::string other_path = LockPath(db_->root(), other.id);
    if (::lstat(other_path.c_str(), &st) == 0) continue;
    if (errno != ENOENT) return ErrnoError("stat lease lock file", other_path, errno);
    BT_TRY(txn.DeleteLease(other.id));
  }
  LeaseRecord record;
  record.id = id_;
  record.owner_pid = static_cast<std::int32_t>(owner_pid_);
  record.lock_path = lock_path_;
  record.created = created_;
  return record;
}

Result<void> Lease::AddSnapshot(WriteTxn& txn, const std::string& snapshot_id) {
  BT_ASSIGN_OR_RETURN(LeaseRecord record, RecordIn(txn));
  const auto& ids = record.snapshot_ids;
  if (std::find(ids.begin(), ids.end(), snapshot_id) != ids.end()) return {};
  record.snapshot_ids.push_back(snapshot_id);
  return txn.PutLease(record);
}

Result<void> Lease::AddBlob(WriteTxn& txn, const oci::Digest& blob) {
  BT_ASSIGN_OR_RETURN(LeaseRecord record, RecordIn(txn));
  const auto& blobs = record.blobs;
  if (std::find(blobs.begin(), blobs.end(), blob) != blobs.end()) return {};
  record.blobs.push_back(blob);
  return txn.PutLease(record);
}

Result<void> Lease::Release() {
  MetadataDb* db = std::exchange(db_, nullptr);
  if (db == nullptr) return {};
  if (::getpid() != owner_pid_) {
    // A fork()ed copy: closing our descriptor leaves the parent's lock in place.
    lock_.reset();
    return {};
  }
  // File first, lock last: from the unlink on, the record (if any) is stale.
  Result<void> removed = RemoveLockFile(lock_path_);
  lock_.reset();
  return removed;
}

// Liveness

Result<std::vector<LeaseStatus>> LiveLeases(const ReadTxn& txn, const std::string& root) {
  BT_ASSIGN_OR_RETURN(std::vector<LeaseRecord> records, txn.ListLeases());
  std::vector<LeaseStatus> out;
  out.reserve(records.size());
  for (LeaseRecord& record : records) {
    LeaseState state = LeaseState::kStale;
    if (IsValidLeaseId(record.id)) {
      // Shared: concurrent checkers do not see each other's probes as holders.
      BT_ASSIGN_OR_RETURN(Probe probe, ProbeLockFile(LockPath(root, record.id), LockMode::kShared));
      state = probe.state;
    }
    out.push_back(LeaseStatus{std::move(record), state});
  }
  return out;
}

Result<std::vector<LeaseStatus>> LiveLeases(MetadataDb& db) {
  BT_ASSIGN_OR_RETURN(ReadTxn txn, db.BeginRead());
  return LiveLeases(txn, db.root());
}

Result<bool> LeaseIsLive(const std::string& root, std::string_view id) {
  if (!IsValidLeaseId(id)) return false;
  // Shared, as LiveLeases: concurrent checkers do not see each other's probes as holders.
  BT_ASSIGN_OR_RETURN(Probe probe, ProbeLockFile(LockPath(root, id), LockMode::kShared));
  return probe.state == LeaseState::kLive;
}

Result<ReapReport> ReapStaleLeases(MetadataDb& db) {
  const std::string dir = LeasesDir(db.root());
  ReapReport report;
  // Locks on the files to unlink once the deletions are committed.
  std::vector<FileLock> held;
  BT_TRY(db.Update([&](WriteTxn& txn) -> Result<void> {
    report = ReapReport{};
    held.clear();
    BT_ASSIGN_OR_RETURN(std::vector<LeaseRecord> records, txn.ListLeases());
    std::set<std::string> recorded;
    for (const LeaseRecord& record : records) {
      recorded.insert(record.id);
      if (IsValidLeaseId(record.id)) {
        BT_ASSIGN_OR_RETURN(Probe probe,
                            ProbeLockFile(LockPath(db.root(), record.id), LockMode::kExclusive));
        if (probe.state == LeaseState::kLive) continue;
        if (probe.lock) held.push_back(std::move(*probe.lock));
      }
      BT_TRY(txn.DeleteLease(record.id));
      report.reaped_ids.push_back(record.id);
    }
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      if (errno == ENOENT) return {};
      return ErrnoError("open directory", dir, errno);
    }
    struct Closer {
      DIR* d;
      ~Closer() { ::closedir(d); }
    } closer{d};
    for (;;) {
      errno = 0;
      const dirent* entry = ::readdir(d);
      if (entry == nullptr) {
        if (errno != 0) return ErrnoError("read directory", dir, errno);
        break;
      }
      const std::string_view name(entry->d_name);
      if (name.size() <= kLockSuffix.size() || !name.ends_with(kLockSuffix)) continue;
      const std::string_view id = name.substr(0, name.size() - kLockSuffix.size());
      if (!IsValidLeaseId(id) || recorded.contains(std::string(id))) continue;
      // No record: a holder that has not recorded yet holds the lock, so a file we can lock
      // is left over from a crash.
      BT_ASSIGN_OR_RETURN(std::optional<FileLock> lock,
                          FileLock::TryAcquire(LockPath(db.root(), id), LockMode::kExclusive));
      if (!lock) continue;
      held.push_back(std::move(*lock));
      ++report.orphan_lock_files;
    }
    return {};
  }));
  for (const FileLock& lock : held) BT_TRY(RemoveLockFile(lock.path()));
  return report;
}

Result<HeldByLeases> HeldByLiveLeases(const ReadTxn& txn, const std::string& root) {
  BT_ASSIGN_OR_RETURN(std::vector<LeaseStatus> leases, LiveLeases(txn, root));
  HeldByLeases held;
  for (const LeaseStatus& l : leases) {
    if (l.state != LeaseState::kLive) continue;
    held.snapshot_ids.insert(l.record.snapshot_ids.begin(), l.record.snapshot_ids.end());
    held.blobs.insert(l.record.blobs.begin(), l.record.blobs.end());
  }
  return held;
}

}  // namespace bt::cache
