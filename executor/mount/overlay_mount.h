// Mounting snapshot chains for the steps of a build. The snapshot store describes a chain as
// an OverlaySpec (cache/snapshot/snapshot_store.h) and never mounts; this is where the mounts
// happen (STYLE.md 2.9: kernel interfaces live in executor/).
//
// The build process first moves into a private mount namespace of its own
// (EnterPrivateMountNamespace), so every mount it makes disappears with it, even on kill -9,
// and none propagates to the host. Overlay lowerdirs are given relative to the store's
// snapshots/ directory so a deep chain (120 layers of 12-hex ids) stays far below the page
// size the kernel accepts for mount options; the relative paths are resolved against the
// mounting thread's working directory, so the mount runs on a short-lived thread that
// unshares its filesystem attributes (CLONE_FS) and changes directory without touching the
// rest of the process.
#pragma once

#include <string>

#include "base/result.h"
#include "cache/snapshot/snapshot_store.h"

namespace bt::executor {

// unshare(CLONE_NEWNS) and make every mount private. Must run while the process has a single
// thread (the mount namespace is per thread until threads are created from it). kPermissionDenied
// without CAP_SYS_ADMIN; kFailedPrecondition when mounts cannot be made private (a chroot
// whose "/" is not a mount point), in which case nothing was changed that matters.
Result<void> EnterPrivateMountNamespace();

// In the private mount namespace: detaches the cgroup v2 hierarchy a hybrid layout mounts at
// /sys/fs/cgroup/unified (nothing when there is none), for runtimes that refuse hybrid mode.
Result<void> DetachHybridUnifiedCgroup();

// A mount that is detached and its mount point removed on destruction.
class MountedTree {
 public:
  MountedTree() = default;
  explicit MountedTree(std::string path) : path_(std::move(path)) {}
  MountedTree(MountedTree&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  MountedTree& operator=(MountedTree&& other) noexcept;
  MountedTree(const MountedTree&) = delete;
  MountedTree& operator=(const MountedTree&) = delete;
  ~MountedTree();

  const std::string& path() const { return path_; }
  // Detaches now; kIo when umount fails (the mount point then stays).
  Result<void> Unmount();

 private:
  std::string path_;  // empty once unmounted or moved from
};

// Mounts `spec` at a new directory `mount_point` (created; its parent must exist). Needs at
// least one lowerdir, and two when there is no upperdir (the kernel's rule for read-only
// overlays). kInvalidArgument when the options exceed a page; kIo/kPermissionDenied from mount.
Result<MountedTree> MountOverlay(const cache::OverlaySpec& spec, const std::string& mount_point);

}  // namespace bt::executor
