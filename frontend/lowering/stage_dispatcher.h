// StageDispatcher: applies one instruction to a stage (BuildKit's dispatch and dispatchX
// functions in dockerfile2llb/convert.go): the image config and history for every
// instruction, and IR vertices for RUN, COPY, ADD and WORKDIR. One per LowerDockerfile call;
// it owns the graph being built. Not thread-safe.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "frontend/lowering/build_plan.h"
#include "frontend/shell/shell_lexer.h"
#include "frontend/lowering/stage_state.h"
#include "solver/ir.h"

namespace bt::frontend {

class StageDispatcher {
 public:
  StageDispatcher(const LowerOptions& options, const BuildPlan& plan, ShellLexer lexer);

  // Dispatches `instruction` (a copy: expansion rewrites it) onto stages[index].
  // `stages` holds every stage's state; COPY --from and RUN --mount from= read others.
  Result<void> Dispatch(std::size_t index, Instruction instruction,
                        std::vector<StageState>& stages);

  // The stage whose vertices AddOp adds from now on (OpMetadata::stages).
  void set_current_stage(std::size_t index) { current_stage_ = index; }
  // How many numbered steps stage `index` has (BuildKit's cmdTotal: FROM an image, and each
  // RUN, COPY, ADD, WORKDIR and ONBUILD trigger); 0 leaves its step names unprefixed.
  void set_step_total(std::size_t index, int total) { steps_[index] = StepCount{total, 0}; }
  // The next numbered step name of stage `index` for `text` (FROM uses it directly).
  std::string NumberedStep(std::size_t index, std::string_view text);
  // Adds a vertex with its metadata; returns output 0 of it.
  ir::Edge AddOp(ir::Op op, std::string description, const InstructionOrigin* origin);
  // The tree of a --build-context directory as a stage's rootfs: the whole directory copied
  // onto scratch (a snapshot, so RUN and COPY treat it as any stage's filesystem).
  ir::Edge NamedContextTree(const std::string& local_name, const oci::Platform& platform,
                            const std::string& description, const InstructionOrigin& origin);

  // Paths COPY and ADD read from the main build context (BuildKit's ctxPaths), and the include
  // patterns the context source is created with (set from a previous pass's paths).
  const std::set<std::string>& context_paths() const { return context_paths_; }
  void set_context_includes(std::vector<std::string> includes) {
    context_includes_ = std::move(includes);
  }

  ir::Graph& graph() { return graph_; }
  std::map<oci::Digest, ir::OpMetadata>& metadata() { return metadata_; }

 private:
  // Config-only instructions (stage_dispatcher.cc).
  Result<void> DispatchEnv(StageState& s, const EnvCmd& c);
  Result<void> DispatchLabel(StageState& s, const LabelCmd& c);
  Result<void> DispatchCmd(StageState& s, const CmdCmd& c);
  Result<void> DispatchEntrypoint(StageState& s, const EntrypointCmd& c);
  Result<void> DispatchHealthcheck(StageState& s, const HealthcheckCmd& c);
  Result<void> DispatchExpose(StageState& s, const ExposeCmd& c);
  Result<void> DispatchUser(StageState& s, const UserCmd& c);
  Result<void> DispatchVolume(StageState& s, const VolumeCmd& c);
  Result<void> DispatchStopSignal(StageState& s, const StopSignalCmd& c);
  Result<void> DispatchShell(StageState& s, const ShellCmd& c);
  Result<void> DispatchArg(StageState& s, const ArgCmd& c);
  Result<void> DispatchMaintainer(StageState& s, const MaintainerCmd& c);
  Result<void> DispatchOnbuild(StageState& s, const OnbuildCmd& c);

  // Instructions that change the filesystem (stage_lowering.cc).
  Result<void> DispatchWorkdir(std::size_t index, StageState& s, const WorkdirCmd& c);
  Result<void> DispatchRun(std::size_t index, StageState& s, const RunCmd& c,
                           std::vector<StageState>& stages);
  Result<void> DispatchCopy(std::size_t index, StageState& s, const CopyCmd& c,
                            std::vector<StageState>& stages);
  Result<void> DispatchAdd(std::size_t index, StageState& s, const AddCmd& c);
  // copy_lowering.cc: BuildKit's dispatchCopy, shared by COPY and ADD.
  struct CopyRequest;
  Result<void> LowerCopy(std::size_t index, StageState& s, const CopyRequest& request);

  // The stage a --from names: a stage by name or index, or an image read as a stage.
  Result<std::optional<std::size_t>> StageFor(std::string_view from) const;

  // The progress name of the instruction being dispatched, with BuildKit's prefix
  // (prefixCommand): "[stage-1 2/5] COPY a b", "[2/5] ..." when the Dockerfile has one stage.
  // One number per instruction, however many vertices it makes.
  std::string StepName(std::size_t index, const InstructionOrigin& origin);
  ir::Edge ContextSource();
  oci::Platform TargetPlatform() const;

  const LowerOptions& options_;
  const BuildPlan& plan_;
  ShellLexer lexer_;
  ir::Graph graph_;
  std::map<oci::Digest, ir::OpMetadata> metadata_;
  std::optional<ir::Edge> context_;  // the main build context source, once used
  std::optional<std::size_t> current_stage_;  // the stage Dispatch is working on
  struct StepCount {
    int total = 0;
    int taken = 0;
  };
  std::map<std::size_t, StepCount> steps_;  // by stage index
  std::optional<std::string> step_name_;    // of the instruction being dispatched
  std::vector<std::string> context_includes_;
  std::set<std::string> context_paths_;
};

// withShell: the stage's SHELL (or /bin/sh -c) followed by the joined shell-form command.
std::vector<std::string> WithShell(const oci::ImageConfig& image,
                                   const std::vector<std::string>& args);

}  // namespace bt::frontend
