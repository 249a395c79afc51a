#include "executor/fileop/apply_file_actions.h"

#include <optional>
#include <utility>

#include "base/temp_dir.h"
#include "executor/fileop/copy_action.h"
#include "executor/fileop/path_actions.h"
#include "executor/fileop/root_dir.h"

namespace bt::executor {
namespace {

// The source trees, opened on first use; kScratch is an empty directory of our own.
class Sources {
 public:
  explicit Sources(const std::vector<SourceTree>& trees) : trees_(trees), roots_(trees.size()) {}

  Result<CopySource> Get(SourceIndex index) {
    if (index == kScratch) {
      if (!scratch_) {
        BT_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create("", "bt-scratch-"));
        BT_ASSIGN_OR_RETURN(RootDir root, RootDir::Open(dir.path(), "scratch"));
        scratch_dir_.emplace(std::move(dir));
        scratch_.emplace(std::move(root));
      }
      return CopySource{&*scratch_, SourceOwners::kAsStored};
    }
    if (index < 0 || static_cast<size_t>(index) >= trees_.size()) {
      return MakeError(ErrorCode::kInvalidArgument, "copy source index " + std::to_string(index) +
                                                        " is not one of the " + std::to_string(trees_.size()) +
                                                        " source trees");
    }
    std::optional<RootDir>& root = roots_[static_cast<size_t>(index)];
    if (!root) {
      BT_ASSIGN_OR_RETURN(RootDir opened, RootDir::Open(trees_[static_cast<size_t>(index)].path,
                                                        "source tree " + std::to_string(index)));
      root.emplace(std::move(opened));
      root->set_hidden(trees_[static_cast<size_t>(index)].excludes);
    }
    return CopySource{&*root, trees_[static_cast<size_t>(index)].owners};
  }

 private:
  const std::vector<SourceTree>& trees_;
  std::vector<std::optional<RootDir>> roots_;
  std::optional<TempDir> scratch_dir_;
  std::optional<RootDir> scratch_;
};

// The Dockerfile-level name of an action, for the outermost error context.
std::string Describe(const FileActionSpec& action) {
  struct {
    std::string operator()(const CopySpec& c) { return "copy " + c.src + " to " + c.dest; }
    std::string operator()(const MkdirSpec& m) { return "mkdir " + m.path; }
    std::string operator()(const MkfileSpec& m) { return "mkfile " + m.path; }
    std::string operator()(const RmSpec& r) { return "rm " + r.path; }
    std::string operator()(const SymlinkSpec& s) { return "symlink " + s.linkpath + " -> " + s.target; }
  } describe;
  return std::visit(describe, action);
}

Result<void> Apply(const FileActionSpec& action, const RootDir& dest, Sources& sources,
                   const FileActionOptions& options) {
  if (const auto* copy = std::get_if<CopySpec>(&action)) {
    BT_ASSIGN_OR_RETURN(CopySource source, sources.Get(copy->source));
    return ApplyCopy(*copy, source, dest, options);
  }
  if (const auto* mkdir = std::get_if<MkdirSpec>(&action)) return ApplyMkdir(*mkdir, dest, options);
  if (const auto* mkfile = std::get_if<MkfileSpec>(&action)) return ApplyMkfile(*mkfile, dest, options);
  if (const auto* rm = std::get_if<RmSpec>(&action)) return ApplyRm(*rm, dest);
  return ApplySymlink(std::get<SymlinkSpec>(action), dest, options);
}

}  // namespace

Result<void> ApplyFileActions(const FileActionTrees& trees, std::span<const FileActionSpec> actions,
                              const FileActionOptions& options) {
  BT_ASSIGN_OR_RETURN(RootDir dest, RootDir::Open(trees.dest, "destination tree"));
  Sources sources(trees.sources);
  for (const FileActionSpec& action : actions) {
    auto applied = Apply(action, dest, sources, options);
    if (!applied) return std::move(applied).error().Wrap(Describe(action));
  }
  return {};
}

}  // namespace bt::executor
