#include "executor/fileop/copy_action.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "cache/path_glob.h"
#include "cache/path_patterns.h"
#include "executor/fileop/archive_unpack.h"
#include "executor/fileop/go_match.h"
#include "executor/fileop/go_path.h"
#include "executor/fileop/owner_lookup.h"
#include "executor/fileop/path_error.h"
#include "executor/fileop/tree_copier.h"
#include "executor/fileop/wildcards.h"

namespace bt::executor {
namespace {

using cache::FinalComponent;

// What one action decides once for all its sources.
struct CopyPlan {
  CopyRules rules;   // without the pattern pointers: see Rules()
  NewDirs new_dirs;  // the directories made on the way to the destination
  std::optional<cache::PathPatterns> include;
  std::optional<cache::PathPatterns> exclude;

  // The rules pointing at this plan's patterns (set here, since a plan is moved around).
  CopyRules Rules() const {
    CopyRules r = rules;
    r.include = include ? &*include : nullptr;
    r.exclude = exclude ? &*exclude : nullptr;
    return r;
  }
};

std::string ListForError(const std::vector<std::string>& patterns) {
  std::string out = "[";
  for (size_t i = 0; i < patterns.size(); ++i) out += (i ? " " : "") + patterns[i];
  return out + "]";
}

Result<CopyPlan> Plan(const CopySpec& spec, const CopySource& source, const RootDir& dest,
                      const FileActionOptions& options) {
  CopyPlan plan;
  BT_ASSIGN_OR_RETURN(plan.rules.owner, ResolveOwner(spec.owner, dest, options.unknown_owner_name));
  plan.rules.source_owners = source.owners;
  if (!spec.mode_expression.empty()) {
    BT_ASSIGN_OR_RETURN(ModeExpression expr, ModeExpression::Parse(spec.mode_expression));
    plan.rules.mode_expression = std::move(expr);
  } else {
    plan.rules.mode = spec.mode;
  }
  if (spec.timestamp) plan.rules.time = timespec{static_cast<time_t>(*spec.timestamp), 0};
  plan.rules.compat = options.compat;
  plan.rules.always_replace_existing = spec.always_replace_existing;
  if (!spec.include_patterns.empty()) {
    auto patterns = cache::PathPatterns::Parse(spec.include_patterns);
    if (!patterns) return std::move(patterns).error().Wrap("invalid includepatterns: " + ListForError(spec.include_patterns));
    plan.include = std::move(*patterns);
  }
  if (!spec.exclude_patterns.empty()) {
    auto patterns = cache::PathPatterns::Parse(spec.exclude_patterns);
    if (!patterns) return std::move(patterns).error().Wrap("invalid excludepatterns: " + ListForError(spec.exclude_patterns));
    plan.exclude = std::move(*patterns);
  }
  plan.new_dirs.owner = plan.rules.owner;
  plan.new_dirs.time = plan.rules.time;
  plan.new_dirs.mode = 0755;
  if (options.compat == CopyCompat::kBuildKitHead && plan.rules.mode) plan.new_dirs.mode = *plan.rules.mode & 0777;
  return plan;
}

// ADD: extracts `match` into the destination directory when it is a tar archive; false
// (and nothing done) when it is anything else, which is then copied as it is.
Result<bool> TryUnpack(const std::string& match, const std::string& dest_path, const CopySource& source,
                       const RootDir& dest, const CopyPlan& plan, const FileActionOptions& options) {
  BT_ASSIGN_OR_RETURN(std::string src, source.root->Resolve(GoJoin("/", match), FinalComponent::kFollow));
  if (source.root->Hidden(src, false)) return false;  // not in the context: the copy reports it
  cache::InRootOpenOptions open_file;
  open_file.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY;
  open_file.final_component = FinalComponent::kNoFollow;
  open_file.symlinks = cache::SymlinkPolicy::kRefuse;
  auto fd = cache::OpenInRoot(source.root->fd(), src.empty() ? "." : src, open_file);
  if (!fd) return false;  // isArchivePath: any error means "not an archive"; the copy reports it
  struct stat st;
  if (::fstat(fd->get(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  BT_ASSIGN_OR_RETURN(bool archive, IsTarArchive(fd->get()));
  if (!archive) return false;
  if (::lseek(fd->get(), 0, SEEK_SET) != 0) return PathError("seek", Shown(src), errno);

  // The destination is always a directory for an archive.
  BT_ASSIGN_OR_RETURN(std::string target, dest.Resolve(dest_path, FinalComponent::kFollow));
  std::vector<std::string> created;
  BT_TRY(dest.MkdirAll(target, NewDirs{0755, plan.rules.owner, plan.rules.time}, &created));
  BT_ASSIGN_OR_RETURN(UniqueFd dir, dest.OpenDir(target));
  UnpackOptions unpack;
  if (options.compat == CopyCompat::kBuildKitHead) unpack.owner = plan.rules.owner;
  unpack.shown_archive = Shown(src);
  unpack.shown_dest = Shown(target);
  BT_TRY(UnpackTar(fd->get(), dir.get(), unpack));
  if (plan.rules.time) BT_TRY(dest.SetTimes(created, *plan.rules.time));
  return true;
}

// fsutil's Copy for one source: make the destination's directory, decide whether the source
// lands as `dest` or inside it, copy.
Result<void> CopyOne(const std::string& match, const std::string& dest_path, const CopySpec& spec,
                     const CopySource& source, const RootDir& dest, const CopyPlan& plan) {
  std::vector<std::string> created;
  // "d/f" needs d/; "d/" and "d/." need d itself.
  auto [dir_part, file_part] = GoSplit(dest_path);
  const std::string ensure = (!file_part.empty() && file_part != ".") ? dir_part : dest_path;
  BT_ASSIGN_OR_RETURN(std::string ensure_dir, dest.Resolve(ensure, FinalComponent::kFollow));
  BT_TRY(dest.MkdirAll(ensure_dir, plan.new_dirs, &created));

  BT_ASSIGN_OR_RETURN(std::string dst, dest.Resolve(cache::CleanSlashPath(dest_path), FinalComponent::kFollow));
  BT_ASSIGN_OR_RETURN(std::string src, source.root->Resolve(GoJoin("/", match), spec.follow_symlinks
                                                                                   ? FinalComponent::kFollow
                                                                                   : FinalComponent::kNoFollow));
  BT_ASSIGN_OR_RETURN(std::optional<struct stat> src_st, source.root->Lstat(src));
  if (!src_st) return PathError("lstat", Shown(src), ENOENT);
  BT_ASSIGN_OR_RETURN(std::optional<struct stat> dst_st, dest.Lstat(dst));
  const bool src_is_dir = S_ISDIR(src_st->st_mode);
  const bool dst_is_dir = dst_st && S_ISDIR(dst_st->st_mode);
  // prepareTargetDir: into an existing directory the source goes under its own name.
  if ((!spec.copy_dir_contents && src_is_dir && dst_st) || (!src_is_dir && dst_is_dir)) {
    dst = ToRelative(GoJoin(Shown(dst), GoBase(match)));
  }
  const std::string target_dir = (spec.copy_dir_contents && src_is_dir && !dst_st) ? dst : SplitCanonical(dst).first;
  BT_TRY(dest.MkdirAll(target_dir, plan.new_dirs, &created));

  const CopyRules rules = plan.Rules();
  TreeCopier copier(*source.root, dest, rules);
  BT_TRY(copier.Copy(src, dst));
  // The directories made on the way had their mtime changed by what went into them.
  if (plan.rules.time) BT_TRY(dest.SetTimes(created, *plan.rules.time));
  return {};
}

}  // namespace

Result<void> ApplyCopy(const CopySpec& spec, const CopySource& source, const RootDir& dest,
                       const FileActionOptions& options) {
  const std::string src_path = CleanPathKeepingSlash(spec.src);
  const std::string dest_path = CleanPathKeepingSlash(spec.dest);

  if (!spec.create_dest_path) {
    BT_ASSIGN_OR_RETURN(std::string dst, dest.Resolve(GoJoin("/", spec.dest), FinalComponent::kFollow));
    const std::string parent = SplitCanonical(dst).first;
    BT_ASSIGN_OR_RETURN(std::optional<struct stat> st, dest.Lstat(parent));
    if (!st) return PathError("lstat", Shown(parent), ENOENT).Wrap("failed to stat " + spec.dest);
  }
  BT_ASSIGN_OR_RETURN(CopyPlan plan, Plan(spec, source, dest, options));

  std::vector<std::string> matches{src_path};
  if (spec.allow_wildcard) {
    const FinalComponent follow = spec.follow_symlinks ? FinalComponent::kFollow : FinalComponent::kNoFollow;
    BT_ASSIGN_OR_RETURN(matches, ResolveWildcards(*source.root, src_path, follow));
    if (matches.empty()) {
      if (spec.allow_empty_wildcard) return {};
      return MakeError(ErrorCode::kNotFound, src_path + " not found");
    }
  }

  // COPY --parents without wildcards names one path that must exist (BuildKit checks its
  // RequiredPaths while computing the cache key, before anything is copied).
  if (spec.parents && !spec.include_patterns.empty() && !ContainsWildcards(spec.src) &&
      !ContainsWildcards(spec.include_patterns[0])) {
    const std::string required = GoJoin(GoJoin("/", spec.src), spec.include_patterns[0]);
    BT_ASSIGN_OR_RETURN(std::string canonical, source.root->Resolve(required, FinalComponent::kNoFollow));
    BT_ASSIGN_OR_RETURN(std::optional<struct stat> st, source.root->Lstat(canonical));
    if (!st) return MakeError(ErrorCode::kNotFound, "\"" + required + "\": not found");
  }

  for (const std::string& match : matches) {
    if (spec.unpack_archive) {
      BT_ASSIGN_OR_RETURN(bool unpacked, TryUnpack(match, dest_path, source, dest, plan, options));
      if (unpacked) continue;
    }
    BT_TRY(CopyOne(match, dest_path, spec, source, dest, plan));
  }
  return {};
}

}  // namespace bt::executor
