// Child side, after pivot_root: linux.readonlyPaths and linux.maskedPaths, as runc applies
// them (readonlyPath, maskPaths). A read-only path gets a recursive read-only bind of itself;
// a masked file gets the container's /dev/null bound over it, a masked directory an empty
// read-only tmpfs. Paths that do not exist are skipped, as in runc. The /dev/null used is
// opened once and checked to be the character device 1:3 (CVE-2025-31133: a symlink or a
// file in its place would otherwise be bound over /proc files instead of the null device).
#pragma once

#include "executor/runtime/child_failure.h"
#include "executor/runtime/plan.h"

namespace bt::executor::runtime {

bool ApplyReadonlyPaths(const ContainerPlan& plan, ChildFailure* failure);
bool ApplyMaskedPaths(const ContainerPlan& plan, ChildFailure* failure);

}  // namespace bt::executor::runtime
