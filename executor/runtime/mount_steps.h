// Child side: performs one planned mount under the rootfs with the new mount API. A bind is
// open_tree(OPEN_TREE_CLONE) of the host path; a filesystem is fsopen/fsconfig/fsmount; the
// attributes (ro, nosuid, ...) are set on the detached mount before it is attached, so a
// read-only bind is never writable in the container, not even briefly. The destination is
// resolved, and missing parts created, in the rootfs (in_root.h), and the mount is attached
// to that fd with move_mount, so no path is looked up twice. No allocation.
#pragma once

#include "executor/runtime/child_failure.h"
#include "executor/runtime/plan.h"

namespace bt::executor::runtime {

bool PerformMountStep(int root_fd, const MountStep& step, ChildFailure* failure);

// Makes the mount at `path` (resolved from `root_fd`) read-only; for steps whose read-only
// attribute waits until the mounts below them exist (tmpfs, as runc's finalizeRootfs).
bool MakeMountReadOnly(int root_fd, const char* path, const char* field, ChildFailure* failure);

}  // namespace bt::executor::runtime
