// The cgroup a container runs in, made by the runtime only when the config asks for one
// (linux.resources, or linux.cgroupsPath): on a unified (v2) host one cgroup2 directory with
// pids.max; on a v1 or hybrid host a directory in the v1 `pids` hierarchy, and in the
// `devices` hierarchy when there are device rules. Other controllers are left alone. The
// directory is <cgroupsPath> (absolute in the hierarchy, or relative to the runtime's own
// cgroup), else <own cgroup>/<container id>, as runc's cgroupfs driver does. A limit that
// cannot be applied is an error naming the field, as in runc. The runtime moves the container
// into it before the container starts and removes it after the pid namespace is gone.
// Single-threaded use.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "executor/runtime/cgroup_layout.h"
#include "executor/runtime/spec.h"

namespace bt::executor::runtime {

class ContainerCgroup {
 public:
  // Creates and configures the cgroup, or returns an empty one when the config needs none.
  // kInvalidArgument naming the field when the host lacks a controller the config needs;
  // kIo when a cgroup file cannot be written.
  static Result<ContainerCgroup> Create(const Linux& linux, const std::string& id,
                                        const CgroupLayout& layout);

  ContainerCgroup() = default;
  ContainerCgroup(ContainerCgroup&& other) noexcept;
  ContainerCgroup& operator=(ContainerCgroup&& other) noexcept;
  ContainerCgroup(const ContainerCgroup&) = delete;
  ContainerCgroup& operator=(const ContainerCgroup&) = delete;
  // Removes what Remove() has not; a failure here is dropped (the error that ended the run
  // early is the one reported), so the normal path calls Remove() itself.
  ~ContainerCgroup();

  // Moves process `pid` into every directory of the cgroup.
  Result<void> Enter(pid_t pid) const;
  // The container's directory under v1 mount point `mount_point`, or "" when unused there.
  std::string DirectoryUnder(const std::string& mount_point) const;
  // How often a fork or clone of the container failed on its pids.max (pids.events "max"),
  // so a step that ran into its limit can say so; 0 without a pids cgroup.
  std::uint64_t PidsLimitHits() const;
  // Removes the directories it created (the container must be gone).
  Result<void> Remove();

 private:
  // (mount point of the hierarchy, the container's directory in it)
  std::vector<std::pair<std::string, std::string>> directories_;
  std::vector<std::string> created_;  // made by us, parents first; removed in reverse
};

}  // namespace bt::executor::runtime
