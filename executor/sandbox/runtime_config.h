// The OCI runtime config.json of a RUN step, as BuildKit writes it for runc
// (executor/oci/spec.go, spec_linux.go on top of containerd's default Unix spec;
// SECURITY.md A1, A2, A3): Docker's 14 default capabilities, no_new_privs off, hostname
// buildkitsandbox, containerd's masked and read-only paths, /proc /dev /dev/pts /dev/shm
// /dev/mqueue /sys (ro) /sys/fs/cgroup (ro), no /run tmpfs, rlimits inherited, the moby
// default seccomp profile, and every device denied in the device cgroup. Insecure mode
// (`RUN --security=insecure`) grants every capability buildtool holds, empties the masked and
// read-only lists, drops seccomp and makes sysfs and cgroupfs writable, as BuildKit's
// entitlements/security does. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "executor/sandbox/sandbox_spec.h"

namespace bt::executor {

// Docker's default capability set as bits (CapBnd 00000000a80425fb).
inline constexpr std::uint64_t kDefaultCapabilities = 0x00000000a80425fbULL;

nlohmann::json RuntimeConfig(const SandboxSpec& spec);

// The effective capabilities of the calling process (bit n = capability n), read from
// /proc/self/status: what an insecure step may have at most.
std::uint64_t HeldCapabilities();

}  // namespace bt::executor
