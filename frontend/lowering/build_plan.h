// The plan of a build before anything is dispatched: the global ARG scope, every stage with
// its expanded base name and platform, the stages each one reads, the target and the stages
// it needs (BuildKit's toDispatchState up to dispatchStages: buildMetaArgs,
// buildDispatchStates, resolveTarget, buildStageDependencyGraph, validateCircularDependency,
// allReachableStages). Internal to the frontend; plain values.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "frontend/dockerfile_to_ir.h"
#include "frontend/lowering/env_list.h"
#include "frontend/instructions/instruction_builder.h"
#include "frontend/shell/shell_lexer.h"

namespace bt::frontend {

inline constexpr std::string_view kScratchImage = "scratch";

struct PlannedStage {
  std::size_t index = 0;
  Stage stage;                // FROM and its instructions, as written
  std::string display_name;   // the stage name, or "stage-N"
  std::string base_name;      // FROM's image or stage, expanded with the global ARGs
  std::optional<oci::Platform> platform;  // FROM --platform, expanded and parsed
  std::optional<std::size_t> base_stage;  // FROM an earlier stage
  // Stages read by COPY --from and RUN --mount from=, in first-use order.
  std::vector<std::size_t> deps;
  // True for an image named only by COPY --from or RUN --mount from= (BuildKit's
  // unregistered dispatch states): a stage with no instructions.
  bool synthetic = false;
};

struct BuildPlan {
  EnvList global_args;  // platform args, then the meta ARGs with build-arg overrides
  std::vector<PlannedStage> stages;
  std::size_t target = 0;
  std::vector<bool> reachable;  // per stage: the target needs it
  std::set<std::string> used_build_args;  // build args some ARG (global or stage) declares
};

// `e` located at an instruction's lines in `file`, unless it already has a location (whose
// empty file name is then filled in).
Error AtInstruction(Error e, const std::string& file, const InstructionOrigin& origin);

// The shell lexer of the Dockerfile (its escape directive).
ShellLexer DockerfileLexer(const Ast& ast);

// Errors carry the Dockerfile lines (`where.file` is options.dockerfile_name).
Result<BuildPlan> PlanBuild(const Ast& ast, DockerfileInstructions instructions,
                            const LowerOptions& options);

// The stage a `--from` value names (case-insensitive name, or index), else nullopt. An index
// out of range is kInvalidArgument "invalid stage index N".
Result<std::optional<std::size_t>> FindStage(const std::vector<PlannedStage>& stages,
                                             std::string_view from);

// The stage a `--from` value names, registering an image as a synthetic stage when no stage
// has that name (BuildKit's toCommand / detectRunMount).
Result<std::size_t> ResolveFrom(std::vector<PlannedStage>& stages, const std::string& from);
// Records that `stage` reads `dep`; false when it already did.
bool AddDep(PlannedStage& stage, std::size_t dep);
// The --from values of COPY and RUN --mount.
std::vector<std::string> FromsOf(const Instruction& instruction);
// validateCircularDependency: kInvalidArgument at the FROM of a stage in a cycle.
Result<void> CheckCycles(const std::vector<PlannedStage>& stages, const std::string& file);

// Marks what `target` needs: its base chain and everything read, transitively.
std::vector<bool> ReachableStages(const std::vector<PlannedStage>& stages, std::size_t target);

}  // namespace bt::frontend
