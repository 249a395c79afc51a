// Capabilities of the container process, applied in runc's order (finalizeNamespace): the
// bounding set is dropped while CAP_SETPCAP is still held, the uid switch keeps the
// permitted set (PR_SET_KEEPCAPS), then capset() sets effective/permitted/inheritable and
// the ambient set is raised. Runs in the container child: no allocation, no exceptions.
#pragma once

#include <cstdint>

#include "executor/runtime/child_failure.h"
#include "executor/runtime/spec.h"

namespace bt::executor::runtime {

// Drops every capability not in `keep` from the bounding set, up to the kernel's last one.
bool DropBoundingSet(std::uint64_t keep, ChildFailure* failure);
// Sets the effective, permitted and inheritable sets, then clears the ambient set and raises
// the capabilities of `sets.ambient` in it.
bool SetCapabilities(const CapabilitySets& sets, ChildFailure* failure);

}  // namespace bt::executor::runtime
