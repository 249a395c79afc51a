// Trees as directories for a running step. A step reads its inputs through read-only views
// (OpenView: a local context in place, a one-layer chain as its diff, a deeper chain as a
// read-only overlay or, with the copy snapshotter, a flattened copy) and writes its own
// rootfs (MountWritableRootfs: an overlay of the parent chain with the active snapshot's diff
// as upper, the bare diff on scratch, or the copy snapshotter's rootfs/). Both release what
// they made (mounts, scratch directories) on destruction. Thread-safe across different views.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "base/temp_dir.h"
#include "cache/cache_root.h"
#include "executor/fileop/tree_copier.h"
#include "executor/mount/overlay_mount.h"
#include "solver/step_runner.h"

namespace bt::solver {

// A readable directory that shows one input tree while a step runs.
struct TreeView {
  std::string path;
  executor::SourceOwners owners = executor::SourceOwners::kAsStored;
  const cache::PathPatterns* excludes = nullptr;  // a local context's .dockerignore
  // Declared before `mount` so that it is destroyed after it: the mount point lives inside.
  std::optional<TempDir> owned;  // an empty tree, a mount point's parent, a flattened chain
  executor::MountedTree mount;   // a read-only overlay of a deep chain
};

Result<TreeView> OpenView(cache::CacheRoot& root, const std::string& scratch, const Tree& tree);

// The writable root filesystem of an active snapshot on `parent` (nullopt: scratch).
struct WritableRootfs {
  std::string path;
  std::optional<TempDir> mount_parent;  // destroyed after the mount inside it
  executor::MountedTree mount;

  // Detaches the overlay (before the snapshot is committed).
  Result<void> Unmount() { return mount.Unmount(); }
};

Result<WritableRootfs> MountWritableRootfs(cache::CacheRoot& root, const std::string& scratch,
                                           const std::string& active_id,
                                           const std::optional<std::string>& parent);

}  // namespace bt::solver
