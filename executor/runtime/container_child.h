// The first process of the container: cloned by the runtime into the new namespaces, it
// waits until the runtime has written its id maps and cgroup, sets up the rootfs, hostname,
// sysctls and masked paths while it still holds every capability, forks the configured
// process (process.h) and becomes its init (init.h). Never returns; failures travel to the
// runtime over `sync_fd` (child_failure.h).
#pragma once

#include "executor/runtime/plan.h"

namespace bt::executor::runtime {

[[noreturn]] void RunContainerChild(const ContainerPlan& plan, char* const argv[], char* envp[],
                                    int sync_fd);

// The one byte the runtime sends when the container may go on.
constexpr char kGoByte = 'g';

}  // namespace bt::executor::runtime
