// BuildStepRunner: the StepRunner of a real build. It turns each op into work on snapshots:
//   FileOp  -> executor/fileop on the step's writable rootfs (an overlay of the base chain with
//              a new upper diff, the bare diff on scratch, or the copy snapshotter's rootfs/),
//              reading sources through read-only views (a local context in place, a one-layer
//              chain as its diff, a deeper chain as a read-only overlay or a flattened copy);
//   MergeOp -> solver/merge_step.h;
//   HttpSource -> solver/http_source.h;
//   ExecOp  -> solver/exec_step.h (RUN in the sandbox).
// Image sources (FROM an image) belong to the image store and registry client, which this
// runner does not have yet: they fail with an error that says so.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "cache/cache_root.h"
#include "executor/fileop/file_action_options.h"
#include "oci/http_client.h"
#include "solver/exec_step.h"
#include "solver/step_runner.h"

namespace bt::solver {

struct BuildStepRunnerOptions {
  executor::FileActionOptions file_actions;
  // Where the steps make their mount points and flattened trees; empty: <root>/tmp. A build
  // passes its own directory (cache::BuildScratchDir) so prune can reclaim it after a crash.
  std::string scratch_dir;
  // RUN: the runtime, secrets, network... (its scratch_dir and file_actions are this struct's).
  ExecStepOptions exec;
};

class BuildStepRunner final : public StepRunner {
 public:
  BuildStepRunner(cache::CacheRoot& root, oci::HttpClient& http, BuildStepRunnerOptions options = {})
      : root_(root), http_(http), options_(std::move(options)) {
    if (options_.scratch_dir.empty()) options_.scratch_dir = root_.tmp_dir();
    options_.exec.scratch_dir = options_.scratch_dir;
    options_.exec.file_actions = options_.file_actions;
  }

  Result<std::vector<StepOutput>> Run(const StepContext& ctx, const ir::Op& op,
                                      const std::vector<Tree>& inputs) override;

 private:
  Result<std::vector<StepOutput>> RunFileOp(const StepContext& ctx, const ir::FileOp& op,
                                            const std::vector<Tree>& inputs);

  cache::CacheRoot& root_;
  oci::HttpClient& http_;
  BuildStepRunnerOptions options_;
};

}  // namespace bt::solver
