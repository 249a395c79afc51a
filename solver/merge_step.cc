#include "solver/merge_step.h"

#include <algorithm>
#include <optional>
#include <string>

#include "cache/snapshot/diff_clone.h"
#include "solver/active_snapshot.h"

namespace bt::solver {

Result<std::vector<StepOutput>> RunMergeStep(const StepContext& ctx,
                                             const std::vector<Tree>& inputs) {
  cache::SnapshotStore& store = ctx.root->snapshots();
  std::optional<std::string> top;
  std::optional<StepOutput> last;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (std::holds_alternative<EmptyTree>(inputs[i])) continue;
    const auto* snapshot = std::get_if<SnapshotTree>(&inputs[i]);
    if (snapshot == nullptr) {
      return MakeError(ErrorCode::kInternal,
                       "merge input " + std::to_string(i) + " is a local context, not a snapshot");
    }
    if (!top) {
      top = snapshot->id;  // the first chain stays as it is
      continue;
    }
    BT_ASSIGN_OR_RETURN(std::vector<std::string> chain, store.Chain(snapshot->id));
    std::reverse(chain.begin(), chain.end());  // bottom layer first
    for (const std::string& layer : chain) {
      if (ctx.Stopping()) return MakeError(ErrorCode::kCancelled, "the build is stopping");
      BT_ASSIGN_OR_RETURN(ActiveSnapshot active,
                          ActiveSnapshot::Prepare(ctx, top, cache::PrepareFor::kDiff));
      BT_TRY(cache::CloneDiff(store.DiffPath(layer), store.DiffPath(active.id())));
      BT_ASSIGN_OR_RETURN(StepOutput out, active.Commit());
      top = out.snapshot_id;
      last = out;
    }
  }
  if (last) return std::vector<StepOutput>{*last};
  // Nothing was stacked: the result is the first chain, or an empty tree on scratch.
  if (top) {
    return std::vector<StepOutput>{
        StepOutput{.snapshot_id = *top, .size_bytes = 0, .content = std::nullopt}};
  }
  BT_ASSIGN_OR_RETURN(ActiveSnapshot empty,
                      ActiveSnapshot::Prepare(ctx, std::nullopt, cache::PrepareFor::kDiff));
  BT_ASSIGN_OR_RETURN(StepOutput out, empty.Commit());
  return std::vector<StepOutput>{out};
}

}  // namespace bt::solver
