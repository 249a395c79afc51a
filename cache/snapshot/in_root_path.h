// In-root path resolution for image content (SECURITY.md decision 1, STYLE.md 2.9).
// OpenInRoot opens a path below a root directory fd so that no symlink, `..` or absolute
// component can leave that root: openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), or a
// component-by-component O_NOFOLLOW walk on kernels without openat2. LayerView does the same
// over the merged view of an overlay layer stack (a diff plus its read-only parents), which is
// what a layer tarball's paths mean. Symlinks are followed, but only inside the root.
// Nothing here writes. Stateless functions are thread-safe; a LayerView borrows its fds and is
// safe for concurrent readers as long as the directories are not modified meanwhile.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace bt::cache {

// Whether the last component of a path is followed when it is a symlink.
enum class FinalComponent { kFollow, kNoFollow };

// Whether symlinks may be followed at all (in-root), or make the open fail with ELOOP.
enum class SymlinkPolicy { kFollowInRoot, kRefuse };

// How OpenInRoot resolves. kAuto uses openat2 and falls back to the walk on ENOSYS;
// kComponentWalk forces the fallback (tests use it to check that both agree).
enum class ResolveMethod { kAuto, kComponentWalk };

struct InRootOpenOptions {
  int flags = 0;  // O_RDONLY, O_DIRECTORY, O_PATH, O_CREAT...; O_CLOEXEC is always added
  mode_t mode = 0;
  FinalComponent final_component = FinalComponent::kFollow;
  SymlinkPolicy symlinks = SymlinkPolicy::kFollowInRoot;
  ResolveMethod method = ResolveMethod::kAuto;
};

// Opens `path` (relative or absolute, both taken relative to root_fd) so that every `..`
// and every symlink target is clamped to root_fd. Errors: kIo with the errno (ENOENT, ELOOP
// for too many links or a refused one, ENOTDIR...).
Result<UniqueFd> OpenInRoot(int root_fd, std::string_view path, const InRootOpenOptions& options);

// Splits `path` at '/' and drops empty and "." components. `..` is kept.
std::vector<std::string_view> SplitPath(std::string_view path);

// The merged view of an overlay stack: layer_fds[0] is the top (the diff being written),
// then its parents. A char device 0:0 is a whiteout; a directory with the xattr
// trusted.overlay.opaque=y hides the same directory in the layers below it; a directory
// merges with directories below it, any other entry hides what is below.
class LayerView {
 public:
  // Borrows the fds; they must outlive the view.
  explicit LayerView(std::vector<int> layer_fds) : layer_fds_(std::move(layer_fds)) {}

  struct Entry {
    size_t layer = 0;  // index into layer_fds of the topmost layer that holds the entry
    struct stat st = {};
  };

  // The entry at a canonical path (components that are all directories in the view, as
  // Resolve returns); nullopt when absent or whited out. "" is the root.
  Result<std::optional<Entry>> Lookup(std::string_view canonical) const;

  // Resolves `path` in the view, following symlinks in-root (absolute targets restart at the
  // root, `..` stops at the root), at most 40 of them. Returns the canonical path: no
  // symlinks, no `..`, components joined by '/', "" for the root. Components that do not exist
  // are kept as written. Errors: kInvalidArgument when a parent component is not a directory,
  // or on a symlink loop.
  Result<std::string> Resolve(std::string_view path, FinalComponent final_component) const;

  const std::vector<int>& layer_fds() const { return layer_fds_; }

 private:
  std::vector<int> layer_fds_;
};

}  // namespace bt::cache
