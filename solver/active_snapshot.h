// ActiveSnapshot: a writable snapshot a step fills, with the bookkeeping every step needs
// done in one place: it is prepared on its parent, recorded (kind active) and held by the
// build's lease in one transaction before anything is written into it; Commit() makes it
// immutable and records it committed with its size; dropped uncommitted (a failed or
// canceled step), it is removed, record and directory. A crash in between leaves an active
// record and directory that `du --check` removes once the lease is gone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "cache/cache_root.h"
#include "solver/step_runner.h"

namespace bt::solver {

class ActiveSnapshot {
 public:
  // A new active snapshot on `parent` (a committed snapshot; nullopt: scratch). `use` says
  // whether the step will write its rootfs (file operations, RUN) or its diff directly (a
  // merge, a download): the copy snapshotter flattens the parent only for the former.
  static Result<ActiveSnapshot> Prepare(const StepContext& ctx,
                                        const std::optional<std::string>& parent,
                                        cache::PrepareFor use = cache::PrepareFor::kRootfs);

  ActiveSnapshot(ActiveSnapshot&& other) noexcept;
  ActiveSnapshot& operator=(ActiveSnapshot&&) = delete;
  ActiveSnapshot(const ActiveSnapshot&) = delete;
  ActiveSnapshot& operator=(const ActiveSnapshot&) = delete;
  ~ActiveSnapshot();  // removes the snapshot unless committed

  const std::string& id() const { return id_; }
  // Commits: measures the diff, makes it immutable, records it committed. The step's output.
  Result<StepOutput> Commit();

 private:
  ActiveSnapshot(cache::CacheRoot* root, std::string id, std::optional<std::string> parent)
      : root_(root), id_(std::move(id)), parent_(std::move(parent)) {}

  cache::CacheRoot* root_;  // null once committed or moved from
  std::string id_;
  std::optional<std::string> parent_;
};

}  // namespace bt::solver
