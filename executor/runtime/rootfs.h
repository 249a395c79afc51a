// Child side: the container's filesystem view, in runc's order (prepareRootfs,
// finalizeRootfs): "/" made rslave (or what linux.rootfsPropagation says) so nothing
// propagates back to the host, the rootfs bound onto itself, every mount step, /dev, then
// pivot_root and a lazy unmount of the old root, then the deferred read-only remounts and
// root.readonly. Runs in the new mount namespace before the process is started.
#pragma once

#include "executor/runtime/child_failure.h"
#include "executor/runtime/plan.h"

namespace bt::executor::runtime {

bool SetUpRootfs(const ContainerPlan& plan, ChildFailure* failure);

}  // namespace bt::executor::runtime
