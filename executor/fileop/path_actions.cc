#include "executor/fileop/path_actions.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "executor/fileop/entry_ops.h"
#include "executor/fileop/go_path.h"
#include "executor/fileop/owner_lookup.h"
#include "executor/fileop/path_error.h"
#include "executor/fileop/wildcards.h"

namespace bt::executor {
namespace {

using cache::FinalComponent;

std::optional<struct timespec> Time(const std::optional<int64_t>& seconds) {
  if (!seconds) return std::nullopt;
  return timespec{static_cast<time_t>(*seconds), 0};
}

// The directory holding a canonical path's last component, opened; `op` and the path name
// the error when that directory is missing.
Result<UniqueFd> OpenParent(const RootDir& dest, const std::string& canonical, std::string_view op) {
  auto dir = dest.OpenDir(SplitCanonical(canonical).first);
  if (!dir) return PathError(op, Shown(canonical), dir.error().sys_errno);
  return dir;
}

std::string NameIn(const std::string& canonical) {
  const std::string base = SplitCanonical(canonical).second;
  return base.empty() ? "." : base;
}

// rmPath: the parent is resolved in-root, the last component is removed itself.
Result<void> RemovePath(const RootDir& dest, std::string_view path, const RmSpec& spec) {
  const std::string abs = GoJoin("/", path);
  auto [dir, base] = GoSplit(abs);
  if (base.empty()) return MakeError(ErrorCode::kInvalidArgument, "rmPath: invalid empty path");
  BT_ASSIGN_OR_RETURN(std::string parent, dest.Resolve(dir, FinalComponent::kFollow));
  const std::string canonical = parent.empty() ? base : parent + "/" + base;
  if (!spec.allow_not_found) {
    // os.Stat: the path must exist with its last symlink followed (in-root here).
    BT_ASSIGN_OR_RETURN(std::string followed, dest.Resolve(canonical, FinalComponent::kFollow));
    BT_ASSIGN_OR_RETURN(std::optional<struct stat> st, dest.Lstat(followed));
    if (!st) return PathError("stat", Shown(canonical), ENOENT);
  }
  auto parent_fd = dest.OpenDir(parent);
  if (!parent_fd) {
    const int err = parent_fd.error().sys_errno;
    if (err == ENOENT || err == ENOTDIR) return {};  // os.RemoveAll: nothing there
    return Unexpected(std::move(parent_fd).error());
  }
  return RemoveEntry(EntryRef{parent_fd->get(), base, Shown(canonical)});
}

}  // namespace

Result<void> ApplyMkdir(const MkdirSpec& spec, const RootDir& dest, const FileActionOptions& options) {
  BT_ASSIGN_OR_RETURN(std::string path, dest.Resolve(GoJoin("/", spec.path), FinalComponent::kFollow));
  BT_ASSIGN_OR_RETURN(std::optional<UidGid> owner, ResolveOwner(spec.owner, dest, options.unknown_owner_name));
  const std::optional<struct timespec> time = Time(spec.timestamp);
  if (spec.make_parents) {
    std::vector<std::string> created;
    BT_TRY(dest.MkdirAll(path, NewDirs{static_cast<mode_t>(spec.mode & 0777), owner, time}, &created));
    // Each new directory's mtime was changed by the next one made inside it.
    if (time) BT_TRY(dest.SetTimes(created, *time));
    return {};
  }
  BT_ASSIGN_OR_RETURN(UniqueFd dir, OpenParent(dest, path, "mkdir"));
  const std::string name = NameIn(path);
  if (::mkdirat(dir.get(), name.c_str(), 0700) != 0) {
    if (errno == EEXIST) return {};  // backend.go: whatever is there already is fine
    return PathError("mkdir", Shown(path), errno);
  }
  const int fd = ::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return PathError("open", Shown(path), errno);
  UniqueFd made(fd);
  const EntryRef ref{dir.get(), name, Shown(path)};
  if (owner) BT_TRY(SetOwner(ref, made.get(), *owner));
  BT_TRY(SetMode(ref, made.get(), spec.mode & 0777));
  if (time) BT_TRY(SetTimes(ref, made.get(), *time, *time));
  return {};
}

Result<void> ApplyMkfile(const MkfileSpec& spec, const RootDir& dest, const FileActionOptions& options) {
  BT_ASSIGN_OR_RETURN(std::string path, dest.Resolve(GoJoin("/", spec.path), FinalComponent::kFollow));
  BT_ASSIGN_OR_RETURN(std::optional<UidGid> owner, ResolveOwner(spec.owner, dest, options.unknown_owner_name));
  BT_ASSIGN_OR_RETURN(UniqueFd dir, OpenParent(dest, path, "open"));
  const std::string name = NameIn(path);
  const EntryRef ref{dir.get(), name, Shown(path)};
  int fd = ::openat(dir.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  const bool created = fd >= 0;
  if (!created) {
    if (errno != EEXIST) return PathError("open", ref.shown, errno);
    // os.WriteFile truncates what is there. Never a device or fifo: in a rootfs those name
    // host devices, and writing to one must not be a side effect of a heredoc.
    struct stat st;
    if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return PathError("lstat", ref.shown, errno);
    if (S_ISDIR(st.st_mode)) return PathError("open", ref.shown, EISDIR);
    if (!S_ISREG(st.st_mode)) {
      return MakeError(ErrorCode::kFailedPrecondition, "open " + ref.shown + ": not a regular file");
    }
    fd = ::openat(dir.get(), name.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return PathError("open", ref.shown, errno);
  }
  UniqueFd file(fd);
  for (size_t done = 0; done < spec.data.size();) {
    const ssize_t n = ::write(file.get(), spec.data.data() + done, spec.data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return PathError("write", ref.shown, errno);
    done += static_cast<size_t>(n);
  }
  // A new file gets exactly `mode` (os.WriteFile's perm, with BuildKit's umask of 0) after
  // the chown; an existing one keeps its mode, as os.WriteFile leaves it.
  if (owner) BT_TRY(SetOwner(ref, file.get(), *owner));
  if (created) BT_TRY(SetMode(ref, file.get(), spec.mode & 0777));
  if (spec.timestamp) {
    const struct timespec t{static_cast<time_t>(*spec.timestamp), 0};
    BT_TRY(SetTimes(ref, file.get(), t, t));
  }
  return {};
}

Result<void> ApplyRm(const RmSpec& spec, const RootDir& dest) {
  if (!spec.allow_wildcard) return RemovePath(dest, spec.path, spec);
  BT_ASSIGN_OR_RETURN(std::vector<std::string> matches,
                      ResolveWildcards(dest, CleanPathKeepingSlash(spec.path), FinalComponent::kNoFollow));
  for (const std::string& m : matches) BT_TRY(RemovePath(dest, m, spec));
  return {};
}

Result<void> ApplySymlink(const SymlinkSpec& spec, const RootDir& dest, const FileActionOptions& options) {
  BT_ASSIGN_OR_RETURN(std::string path, dest.Resolve(GoJoin("/", spec.linkpath), FinalComponent::kFollow));
  BT_ASSIGN_OR_RETURN(std::optional<UidGid> owner, ResolveOwner(spec.owner, dest, options.unknown_owner_name));
  BT_ASSIGN_OR_RETURN(UniqueFd dir, OpenParent(dest, path, "symlink " + spec.target));
  const std::string name = NameIn(path);
  const EntryRef ref{dir.get(), name, Shown(path)};
  if (::symlinkat(spec.target.c_str(), dir.get(), name.c_str()) != 0) {
    return PathError("symlink " + spec.target, ref.shown, errno);
  }
  if (owner) BT_TRY(SetOwner(ref, -1, *owner));
  if (spec.timestamp) {
    const struct timespec t{static_cast<time_t>(*spec.timestamp), 0};
    BT_TRY(SetTimes(ref, -1, t, t));
  }
  return {};
}

}  // namespace bt::executor
