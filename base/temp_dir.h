// TempDir: a uniquely named directory (mkdtemp) that is removed with everything inside it
// when the object dies, unless Keep() was called. RemoveTree is the removal it uses, exposed
// for callers that discard other trees they own. Removal never follows a symlink: a link is
// unlinked, never entered, so a tree that a build filled with hostile links cannot make us
// delete files outside it. A TempDir is move-only and used from one thread at a time.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace bt {

class TempDir {
 public:
  // Creates `<parent>/<prefix>XXXXXX` with mode 0700. An empty `parent` means $TMPDIR,
  // else /tmp. kInvalidArgument when `prefix` contains '/'; kIo when mkdtemp fails.
  static Result<TempDir> Create(std::string_view parent, std::string_view prefix);

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Removes the tree unless Keep() ran. Failures cannot be reported from here; call
  // Remove() first when they matter.
  ~TempDir();

  // The absolute-or-as-given path of the directory; empty after a move.
  const std::string& path() const { return path_; }
  // The directory outlives this object; the caller owns it from now on.
  void Keep() { keep_ = true; }
  // Removes the tree now (see RemoveTree); afterwards the destructor does nothing.
  Result<void> Remove();

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}

  std::string path_;  // empty once moved from or removed
  bool keep_ = false;
};

// Removes `path` and, if it is a directory (not a symlink to one), everything below it.
// Symlinks are unlinked, never followed. Directories without write or search permission
// for their owner are chmod'ed to 0700 first (snapshots and blobs may be read-only). Uses
// a bounded number of file descriptors whatever the depth (it climbs back with ".."), so
// trees deeper than RLIMIT_NOFILE or PATH_MAX are fine. A missing `path` is success.
// kIo (with errno and the failing entry) on failure; the tree may then be partly removed.
Result<void> RemoveTree(std::string_view path);

}  // namespace bt
