// RootDir: a directory tree that file actions address only in-root, like a chroot: paths
// resolve as containerd/continuity's fs.RootPath resolves them for BuildKit, then are opened
// with cache::OpenInRoot refusing every symlink. Errors name the in-root path ("/a/b"), never
// the host path. Owns its fd; not thread-safe while the tree is being written.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "cache/path_patterns.h"
#include "cache/snapshot/in_root_path.h"

namespace bt::executor {

struct UidGid {
  uid_t uid = 0;
  gid_t gid = 0;
};

// How MkdirAll makes the directories that are missing.
struct NewDirs {
  mode_t mode = 0755;                    // exactly, whatever the umask
  std::optional<UidGid> owner;           // absent: left to the calling process (root)
  std::optional<struct timespec> time;   // atime and mtime; absent: now
};

// Resolution walks the tree with directory fds and lstat (securejoin semantics: `..` stops
// at the root, absolute symlink targets restart at the root, at most 255 links) and yields a
// canonical path: no symlinks, no `..`, "" for the root, missing components kept as written.
// Opening a canonical path refuses symlinks, so a link swapped in after the resolution fails
// the open instead of leading outside.
class RootDir {
 public:
  // Opens `path` as a root. kNotFound / kIo naming `what` (e.g. "build context").
  static Result<RootDir> Open(const std::string& path, std::string_view what);
  // Wraps an open directory fd (taking ownership). `shown_as` is how errors name the root
  // ("" for "/"; "/out" when the tree is a directory of a larger one).
  explicit RootDir(UniqueFd fd, std::string shown_as = "") : fd_(std::move(fd)), shown_as_(std::move(shown_as)) {}

  int fd() const { return fd_.get(); }

  // Paths of the tree the actions must not see: a build context's .dockerignore excludes
  // (BuildKit never transfers them). A hidden path does not exist for Lstat and listings; an
  // excluded directory that an exception ("!pattern") may re-include below stays visible,
  // holding only what is re-included. `patterns` must outlive the RootDir; nullptr hides
  // nothing.
  void set_hidden(const cache::PathPatterns* patterns) { hidden_ = patterns; }
  // Whether the entry at `canonical` (a directory when `is_dir`) is hidden.
  bool Hidden(std::string_view canonical, bool is_dir) const;
  // The visible names in the open directory `dir_fd` found at `canonical`, sorted.
  Result<std::vector<std::string>> ListVisible(int dir_fd, std::string_view canonical) const;

  // How errors name a canonical path: "/a/b", below `shown_as`.
  std::string ShownPath(std::string_view canonical) const;

  // The canonical in-root path of `path` (relative or absolute, both from the root).
  // kFailedPrecondition ("lstat /f/x: not a directory") when a component on the way is not
  // a directory; kIo with ELOOP after 255 links.
  Result<std::string> Resolve(std::string_view path, cache::FinalComponent final_component) const;

  // Opens the directory at a canonical path (O_RDONLY | O_DIRECTORY), refusing symlinks.
  // kIo with ENOENT / ENOTDIR / ELOOP as the open failed.
  Result<UniqueFd> OpenDir(std::string_view canonical) const;

  // lstat of a canonical path; nullopt when nothing is there (or a parent is missing).
  Result<std::optional<struct stat>> Lstat(std::string_view canonical) const;

  // Creates every missing directory of a canonical path, outermost first, as `how` says;
  // existing directories are left alone. Appends what it created to `created` (canonical
  // paths). kFailedPrecondition naming the path when a component exists and is not a
  // directory, kIo otherwise.
  Result<void> MkdirAll(std::string_view canonical, const NewDirs& how,
                        std::vector<std::string>* created) const;

  // Sets atime and mtime of each canonical path (without following a final symlink), last
  // first: used to restore directories whose mtime later children changed.
  Result<void> SetTimes(const std::vector<std::string>& canonicals, const struct timespec& time) const;

 private:
  UniqueFd fd_;
  std::string shown_as_;
  const cache::PathPatterns* hidden_ = nullptr;
};

// The parent and the last component of a canonical path ("" and "" for the root).
std::pair<std::string, std::string> SplitCanonical(std::string_view canonical);

}  // namespace bt::executor
