// The container's /dev nodes, made as runc makes them (libcontainer/rootfs_linux.go): the six
// every container gets (null, zero, full, tty, random, urandom; a linux.devices entry with the
// same path replaces one), then linux.devices, each created with mknod, or bind-mounted from
// the host's node of the same path in a user namespace where mknod is not allowed. Then
// /dev/ptmx -> pts/ptmx and the /proc/self/fd links. Every node is created in a directory
// resolved in the rootfs and checked (type, major:minor) before its mode and owner are set.
#pragma once

#include <vector>

#include "executor/runtime/child_failure.h"
#include "executor/runtime/plan.h"
#include "executor/runtime/spec.h"

namespace bt::executor::runtime {

// The nodes to create for `devices` (linux.devices), defaults first.
std::vector<DeviceNode> DeviceNodes(const std::vector<Device>& devices);

// Child side, before pivot_root: creates plan.devices, /dev/ptmx and the /dev symlinks
// under `root_fd`.
bool CreateDevices(int root_fd, const ContainerPlan& plan, ChildFailure* failure);

}  // namespace bt::executor::runtime
