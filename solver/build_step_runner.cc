#include "solver/build_step_runner.h"

#include <optional>
#include <string>
#include <utility>

#include "executor/fileop/apply_file_actions.h"
#include "solver/active_snapshot.h"
#include "solver/http_source.h"
#include "solver/image_source.h"
#include "solver/ir_overloaded.h"
#include "solver/merge_step.h"
#include "solver/tree_view.h"

namespace bt::solver {
namespace {

Error NotYet(std::string what) {
  return MakeError(ErrorCode::kFailedPrecondition, std::move(what));
}

// ---- ir actions to executor specs (field for field; see executor/fileop/file_actions.h) ----

executor::UserSpec ToUser(const ir::UserSpec& u) {
  return std::visit([](const auto& v) { return executor::UserSpec(v); }, u);
}

std::optional<executor::Owner> ToOwner(const std::optional<ir::Chown>& c) {
  if (!c) return std::nullopt;
  executor::Owner owner{ToUser(c->user), std::nullopt};
  if (c->group) owner.group = ToUser(*c->group);
  return owner;
}

executor::FileActionSpec ToSpec(const ir::FileAction& action) {
  return std::visit(
      ir::Overloaded{
          [](const ir::CopyAction& a) -> executor::FileActionSpec {
            executor::CopySpec s;
            s.source = a.source;
            s.src = a.src;
            s.dest = a.dest;
            s.owner = ToOwner(a.owner);
            s.mode = a.mode;
            s.mode_expression = a.mode_expression;
            s.follow_symlinks = a.follow_symlinks;
            s.copy_dir_contents = a.copy_dir_contents;
            s.unpack_archive = a.unpack_archive;
            s.create_dest_path = a.create_dest_path;
            s.allow_wildcard = a.allow_wildcard;
            s.allow_empty_wildcard = a.allow_empty_wildcard;
            s.always_replace_existing = a.always_replace_existing;
            s.parents = a.parents;
            s.include_patterns = a.include_patterns;
            s.exclude_patterns = a.exclude_patterns;
            s.timestamp = a.timestamp;
            return s;
          },
          [](const ir::MkdirAction& a) -> executor::FileActionSpec {
            return executor::MkdirSpec{a.path, a.mode, a.make_parents, ToOwner(a.owner),
                                       a.timestamp};
          },
          [](const ir::MkfileAction& a) -> executor::FileActionSpec {
            return executor::MkfileSpec{a.path, a.mode, a.data, ToOwner(a.owner), a.timestamp};
          },
          [](const ir::RmAction& a) -> executor::FileActionSpec {
            return executor::RmSpec{a.path, a.allow_not_found, a.allow_wildcard};
          },
          [](const ir::SymlinkAction& a) -> executor::FileActionSpec {
            return executor::SymlinkSpec{a.target, a.linkpath, ToOwner(a.owner), a.timestamp};
          },
      },
      action);
}

}  // namespace

Result<std::vector<StepOutput>> BuildStepRunner::Run(const StepContext& ctx, const ir::Op& op,
                                                     const std::vector<Tree>& inputs) {
  return std::visit(
      ir::Overloaded{
          [&](const ir::FileOp& file) { return RunFileOp(ctx, file, inputs); },
          [&](const ir::MergeOp&) { return RunMergeStep(ctx, inputs); },
          [&](const ir::SourceOp& source) -> Result<std::vector<StepOutput>> {
            if (const auto* http = std::get_if<ir::HttpSource>(&source.source)) {
              return FetchHttpSource(ctx, *http, http_);
            }
            if (const auto* image = std::get_if<ir::ImageSource>(&source.source)) {
              return UnpackImage(ctx, *image, root_);
            }
            if (std::holds_alternative<ir::GitSource>(source.source)) {
              return NotYet("ADD from a git repository is not supported yet");
            }
            return MakeError(ErrorCode::kInternal, "a local context is not a step");
          },
          [&](const ir::ExecOp& exec) {
            return RunExecStep(ctx, exec, op.platform, inputs, root_, options_.exec);
          },
          [&](const ir::DiffOp&) -> Result<std::vector<StepOutput>> {
            return NotYet("diff operations are not supported");
          },
      },
      op.body);
}

Result<std::vector<StepOutput>> BuildStepRunner::RunFileOp(const StepContext& ctx,
                                                           const ir::FileOp& op,
                                                           const std::vector<Tree>& inputs) {
  std::optional<std::string> parent;
  if (op.base != ir::kScratch) {
    const Tree& base = inputs.at(static_cast<std::size_t>(op.base));
    if (const auto* snapshot = std::get_if<SnapshotTree>(&base)) {
      parent = snapshot->id;
    } else if (!std::holds_alternative<EmptyTree>(base)) {
      return MakeError(ErrorCode::kInternal, "a file operation cannot change a local context");
    }
  }
  // Views of the inputs the copies read, first: a failure here leaves no active snapshot
  // behind. The base is read through the rootfs, so it needs no view of its own.
  std::vector<bool> read(inputs.size(), false);
  for (const ir::FileAction& action : op.actions) {
    if (const auto* copy = std::get_if<ir::CopyAction>(&action)) {
      if (copy->source >= 0 && static_cast<std::size_t>(copy->source) < inputs.size()) {
        read[static_cast<std::size_t>(copy->source)] = true;
      }
    }
  }
  std::vector<TreeView> views(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!read[i]) continue;
    BT_ASSIGN_OR_RETURN(views[i], OpenView(root_, options_.scratch_dir, inputs[i]));
  }

  BT_ASSIGN_OR_RETURN(ActiveSnapshot active, ActiveSnapshot::Prepare(ctx, parent));
  BT_ASSIGN_OR_RETURN(WritableRootfs rootfs,
                      MountWritableRootfs(root_, options_.scratch_dir, active.id(), parent));
  executor::FileActionTrees trees;
  trees.dest = rootfs.path;
  for (const TreeView& view : views) {
    trees.sources.push_back(executor::SourceTree{view.path, view.owners, view.excludes});
  }
  std::vector<executor::FileActionSpec> specs;
  for (const ir::FileAction& action : op.actions) specs.push_back(ToSpec(action));
  if (ctx.Stopping()) return MakeError(ErrorCode::kCancelled, "the build is stopping");
  BT_TRY(executor::ApplyFileActions(trees, specs, options_.file_actions));
  BT_TRY(rootfs.Unmount());
  BT_ASSIGN_OR_RETURN(StepOutput out, active.Commit());
  return std::vector<StepOutput>{out};
}

}  // namespace bt::solver
