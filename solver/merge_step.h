// The MergeOp step (COPY --link): stacks its inputs' layers, in order, into one chain. The
// first input's chain is kept as it is; every layer of the next inputs is re-parented on top
// of it by cloning its diff (hard links, cache/snapshot/diff_clone.h), so the merged result
// costs no data copy and each linked layer keeps its own content whatever lies below it.
#pragma once

#include <vector>

#include "base/result.h"
#include "solver/step_runner.h"

namespace bt::solver {

Result<std::vector<StepOutput>> RunMergeStep(const StepContext& ctx,
                                             const std::vector<Tree>& inputs);

}  // namespace bt::solver
