// linux.sysctl: only keys that belong to a namespace the container has of its own, as runc
// validates them (libcontainer/configs/validate): IPC keys (kernel.msg*, kernel.sem,
// kernel.shm*, fs.mqueue.*) with an ipc namespace, net.* with a network namespace, and
// kernel.domainname with a uts namespace. Anything else would write the host's value
// through the container's /proc (kernel.core_pattern is global), so it is refused. The
// child writes the values into its own /proc after pivot_root, before /proc/sys is made
// read-only.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "executor/runtime/child_failure.h"
#include "executor/runtime/spec.h"

namespace bt::executor::runtime {

// The file under /proc/sys for `key` ("net.ipv4.ip_forward" -> /proc/sys/net/ipv4/ip_forward).
// kInvalidArgument naming linux.sysctl.<key> when the key is malformed or not namespaced.
Result<std::string> SysctlFile(std::string_view key, const Linux& linux);

// Child side: writes each (file, value).
bool WriteSysctls(const std::vector<std::pair<std::string, std::string>>& sysctls,
                  ChildFailure* failure);

}  // namespace bt::executor::runtime
