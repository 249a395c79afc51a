// Where the host's cgroup hierarchies are mounted and which cgroup the runtime itself is in,
// read from /proc/self/mountinfo and /proc/self/cgroup. Both the pids-limit cgroup
// (cgroups.h) and the container's cgroup mount (a tmpfs of read-only binds on cgroup v1, a
// cgroup2 mount on unified hosts) are built from it. The parsers take text so tests can feed
// them; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bt::executor::runtime {

struct CgroupHierarchy {
  std::string mount_point;               // "/sys/fs/cgroup/pids"
  std::string root;                      // the mount's root inside the hierarchy, usually "/"
  std::vector<std::string> controllers;  // "pids"; "cpu", "cpuacct"; "name=systemd"
  std::string own_path;                  // this process's cgroup in it, "/" or "/a/b"
};

struct CgroupLayout {
  bool unified = false;             // /sys/fs/cgroup itself is cgroup2
  std::vector<CgroupHierarchy> v1;  // every mounted v1 hierarchy, in mountinfo order
  std::string v2_mount_point;       // "" when no cgroup2 is mounted
  std::string v2_own_path;          // this process's cgroup2 path ("0::" line)

  // The v1 hierarchy with `controller`, or nullptr.
  const CgroupHierarchy* FindV1(std::string_view controller) const;
};

// Builds the layout from the texts of /proc/self/mountinfo and /proc/self/cgroup.
Result<CgroupLayout> ParseCgroupLayout(std::string_view mountinfo, std::string_view cgroup_file);
// Reads both files of the calling process. kIo when they cannot be read.
Result<CgroupLayout> ReadCgroupLayout();

// The directory of cgroup path `path` (absolute in the hierarchy) under the mount of `h`;
// nullopt-like "" when `path` lies outside the mounted part.
std::string HierarchyDirectory(const CgroupHierarchy& h, std::string_view path);

// The whole contents of a small file (procfs, sysfs, cgroupfs). kIo on failure.
Result<std::string> ReadSmallFile(const std::string& path);

}  // namespace bt::executor::runtime
