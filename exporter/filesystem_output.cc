#include "exporter/filesystem_output.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "base/temp_dir.h"
#include "base/unique_fd.h"
#include "cache/snapshot/chain_flatten.h"
#include "exporter/tree_tar.h"

namespace bt::exporter {
namespace {

Result<std::vector<std::string>> DiffDirs(cache::SnapshotStore& store, const std::string& id) {
  BT_ASSIGN_OR_RETURN(const std::vector<std::string> chain, store.Chain(id));
  std::vector<std::string> dirs;
  for (const std::string& layer : chain) dirs.push_back(store.DiffPath(layer));
  return dirs;
}

Result<void> MakeDirs(const std::string& path) {
  std::string prefix;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    prefix = path.substr(0, pos);
    if (prefix.empty()) continue;
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoError("mkdir", prefix, errno);
    }
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoError("stat", path, errno);
  if (!S_ISDIR(st.st_mode)) return ErrnoError("export to", path, ENOTDIR);
  return {};
}

// Moves every entry of `from` into `to`: a directory onto a directory merges, anything else
// replaces what was there. Both are directories on one filesystem.
Result<void> MoveInto(int from, int to, const std::string& display) {
  BT_ASSIGN_OR_RETURN(const std::vector<std::string> names, cache::ListDirNames(from, display));
  for (const std::string& name : names) {
    const std::string child = display + "/" + name;
    struct stat src, dst;
    if (::fstatat(from, name.c_str(), &src, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoError("stat", child, errno);
    }
    const bool exists = ::fstatat(to, name.c_str(), &dst, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && S_ISDIR(src.st_mode) && S_ISDIR(dst.st_mode)) {
      UniqueFd sub_from(::openat(from, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd sub_to(::openat(to, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub_from.valid() || !sub_to.valid()) return ErrnoError("open", child, errno);
      BT_TRY(MoveInto(sub_from.get(), sub_to.get(), child));
      // The merged directory takes the exported one's mode and times.
      if (::fchmod(sub_to.get(), src.st_mode & 07777) != 0) return ErrnoError("chmod", child, errno);
      const struct timespec times[2] = {src.st_atim, src.st_mtim};
      ::futimens(sub_to.get(), times);
      continue;
    }
    // Whatever is in the way goes first, never followed: a symlink in the destination is
    // replaced by the exported entry, not written through (SECURITY.md case 28).
    if (exists && S_ISDIR(dst.st_mode)) {
      BT_TRY(RemoveTree(child));
    } else if (exists && ::unlinkat(to, name.c_str(), 0) != 0) {
      return ErrnoError("replace", child, errno);
    }
    if (::renameat(from, name.c_str(), to, name.c_str()) != 0) {
      return ErrnoError("move into place", child, errno);
    }
  }
  return {};
}

}  // namespace

Result<void> ExportToDirectory(cache::SnapshotStore& store,
                               const std::optional<std::string>& snapshot,
                               const std::string& dest) {
  BT_TRY(MakeDirs(dest));
  if (!snapshot) return {};
  BT_ASSIGN_OR_RETURN(const std::vector<std::string> diffs, DiffDirs(store, *snapshot));
  // Flatten next to the destination, so the moves are renames on one filesystem.
  const std::size_t slash = dest.find_last_of('/');
  const std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : dest.substr(0, slash));
  BT_ASSIGN_OR_RETURN(TempDir staging, TempDir::Create(parent, ".buildtool-export-"));
  const std::string tree = staging.path() + "/tree";
  if (::mkdir(tree.c_str(), 0755) != 0) return ErrnoError("mkdir", tree, errno);
  BT_TRY(cache::FlattenChain(diffs, tree));
  UniqueFd from(::open(tree.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  UniqueFd to(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!from.valid() || !to.valid()) return ErrnoError("open", dest, errno);
  return MoveInto(from.get(), to.get(), dest);
}

Result<void> ExportToTar(cache::SnapshotStore& store, const std::optional<std::string>& snapshot,
                         int fd, const std::string& tmp_dir) {
  BT_ASSIGN_OR_RETURN(TempDir staging, TempDir::Create(tmp_dir, "export-"));
  std::string tree = staging.path();
  if (snapshot) {
    BT_ASSIGN_OR_RETURN(const std::vector<std::string> diffs, DiffDirs(store, *snapshot));
    if (diffs.size() == 1) {
      tree = diffs[0];  // a layer on scratch is already the final tree
    } else {
      tree = staging.path() + "/tree";
      if (::mkdir(tree.c_str(), 0755) != 0) return ErrnoError("mkdir", tree, errno);
      BT_TRY(cache::FlattenChain(diffs, tree));
    }
  }
  return WriteTreeAsTar(tree, fd);
}

}  // namespace bt::exporter
