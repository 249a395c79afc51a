#include "solver/active_snapshot.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <utility>

#include "cache/tree_bytes.h"

namespace bt::solver {

Result<ActiveSnapshot> ActiveSnapshot::Prepare(const StepContext& ctx,
                                               const std::optional<std::string>& parent,
                                               cache::PrepareFor use) {
  cache::CacheRoot& root = *ctx.root;
  BT_ASSIGN_OR_RETURN(std::string id, root.snapshots().Prepare(parent, use));
  ActiveSnapshot active(&root, id, parent);
  BT_TRY(root.db().Update([&](cache::WriteTxn& txn) -> Result<void> {
    cache::SnapshotRecord record;
    record.id = id;
    record.parent = parent;
    record.kind = cache::SnapshotKind::kActive;
    record.created = std::chrono::system_clock::now();
    BT_TRY(txn.PutSnapshot(record));
    return ctx.hold(txn, id);
  }));
  return active;
}

ActiveSnapshot::ActiveSnapshot(ActiveSnapshot&& other) noexcept
    : root_(std::exchange(other.root_, nullptr)),
      id_(std::move(other.id_)),
      parent_(std::move(other.parent_)) {}

ActiveSnapshot::~ActiveSnapshot() {
  if (root_ == nullptr) return;
  // Best effort: what stays behind is an uncommitted snapshot, never trusted, and
  // `du --check --repair` removes it.
  (void)root_->db().Update([&](cache::WriteTxn& txn) -> Result<void> {
    Result<void> deleted = txn.DeleteSnapshot(id_);
    if (!deleted && deleted.error().code != ErrorCode::kNotFound) return deleted;
    return {};
  });
  (void)root_->snapshots().Remove(id_);
}

Result<StepOutput> ActiveSnapshot::Commit() {
  BT_CHECK(root_ != nullptr);
  BT_ASSIGN_OR_RETURN(const std::uint64_t size, cache::TreeBytes(root_->snapshots().DiffPath(id_)));
  BT_TRY(root_->snapshots().Commit(id_));
  BT_TRY(root_->db().Update([&](cache::WriteTxn& txn) -> Result<void> {
    cache::SnapshotRecord record;
    record.id = id_;
    record.parent = parent_;
    record.kind = cache::SnapshotKind::kCommitted;
    record.size_bytes = size;
    record.created = std::chrono::system_clock::now();
    return txn.PutSnapshot(record);
  }));
  root_ = nullptr;
  return StepOutput{.snapshot_id = id_, .size_bytes = size, .content = std::nullopt};
}

}  // namespace bt::solver
