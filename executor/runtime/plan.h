// Everything the container child will do, decided by the runtime before it clones: mount
// steps with parsed options and host paths, device nodes, sysctl files, the seccomp program,
// capability masks, ids. The child only walks this plan with system calls (STYLE.md 2.9), so
// every config error is found, and named, before any namespace exists. MakePlan reads the
// host (bind sources, the cgroup layout) but changes nothing. Plain data.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "executor/runtime/cgroup_layout.h"
#include "executor/runtime/mount_options.h"
#include "executor/runtime/namespaces.h"
#include "executor/runtime/seccomp_filter.h"
#include "executor/runtime/spec.h"

namespace bt::executor::runtime {

enum class MountKind {
  kBind,        // open_tree of a host path, attributes, move_mount
  kFilesystem,  // fsopen/fsconfig/fsmount of `fstype`
  kCgroupV1,    // a tmpfs holding one read-only bind per v1 hierarchy (runc's mountCgroupV1)
};

// One v1 hierarchy inside the container's cgroup mount.
struct CgroupBind {
  std::string source;       // host directory: the container's own cgroup in that hierarchy
  std::string destination;  // <mount destination>/<basename of the hierarchy's mount point>
};

// A symlink made inside the cgroup mount for the parts of a merged hierarchy name, as runc
// does: /sys/fs/cgroup/cpu -> cpu,cpuacct.
struct CgroupLink {
  std::string path;    // clean absolute path inside the rootfs
  std::string target;  // "cpu,cpuacct"
};

struct MountStep {
  std::string field;        // "mounts[3]", for errors
  std::string destination;  // clean absolute path inside the rootfs
  MountKind kind = MountKind::kFilesystem;
  std::string source;  // kBind: absolute host path; kFilesystem: the source label
  std::string fstype;  // kFilesystem: "proc", "tmpfs", "devpts", "mqueue", "sysfs", "cgroup2"
  MountOptions options;
  bool file_target = false;      // kBind of a non-directory: the mount point is a file
  bool no_symlinks = false;      // proc, sysfs: the destination must not be a symlink (runc)
  bool defer_read_only = false;  // tmpfs: read-only only after every mount is in place
  std::string fallback_bind;     // cgroup2 refused (EPERM/EBUSY): bind this host path (runc)
  std::vector<CgroupBind> cgroup_binds;  // kCgroupV1
  std::vector<CgroupLink> cgroup_links;  // kCgroupV1
};

struct DeviceNode {
  std::string path;  // clean absolute path inside the rootfs
  mode_t mode = 0;   // S_IFCHR/S_IFBLK/S_IFIFO | permission bits
  dev_t rdev = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct ProcessPlan {
  std::vector<std::string> args;
  std::vector<std::string> env;
  // No HOME in env: the child adds HOME=<the user's home in the image's /etc/passwd, else />,
  // as runc and crun do. The runtime leaves a free slot for it in envp.
  bool add_home = false;
  std::string cwd;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  bool set_groups = true;  // false in a user namespace whose setgroups is denied
  mode_t umask = 022;
  CapabilitySets capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<SeccompProgram> seccomp;
};

struct ContainerPlan {
  std::string id;
  NamespacePlan namespaces;  // clone and unshare flags, id maps

  std::string rootfs;                    // absolute host path
  unsigned long root_propagation = 0;    // applied to "/" first (MS_SLAVE|MS_REC by default)
  unsigned long parent_propagation = 0;  // MS_PRIVATE or MS_SLAVE for the rootfs' parent mount
  unsigned long late_propagation = 0;    // shared/unbindable for "/" after pivot_root, or 0
  std::vector<MountStep> mounts;
  bool setup_dev = true;      // false when /dev is a bind mount
  bool bind_devices = false;  // in a user namespace nodes are bound from the host, not made
  std::vector<DeviceNode> devices;
  bool dev_core_link = false;  // /dev/core -> /proc/kcore, when the host has /proc/kcore
  bool readonly_root = false;
  std::string hostname;  // set when `set_hostname`
  bool set_hostname = false;
  std::string domainname;
  bool set_domainname = false;
  std::vector<std::pair<std::string, std::string>> sysctl;  // (/proc/sys/... path, value)
  std::vector<std::string> masked_paths;                    // clean absolute
  std::vector<std::string> readonly_paths;                  // clean absolute
  std::optional<int> oom_score_adj;
  // A fresh anonymous session keyring, so the container does not share the runtime's (as
  // runc joins "_ses.<id>"); `run --no-new-keyring` turns it off.
  bool new_session_keyring = true;
  ProcessPlan process;
};

struct PlanInputs {
  std::string bundle;    // absolute bundle directory
  std::string id;        // container id, already validated
  CgroupLayout cgroups;  // the host's, for the cgroup mount
  // The container's cgroup directory per v1 mount point ("" = same as the runtime's own).
  std::vector<std::pair<std::string, std::string>> container_cgroups;
  bool runtime_is_root = true;  // euid 0 in the initial user namespace
  std::string seccomp_cache_dir;  // where compiled seccomp programs are kept; "" = none
};

// kInvalidArgument naming the config field for anything that cannot run as written.
Result<ContainerPlan> MakePlan(const Spec& spec, const PlanInputs& inputs);

// Checks a container id as runc does: letters, digits, '_', '+', '-', '.'; not "." or "..".
Result<void> ValidateContainerId(const std::string& id);

}  // namespace bt::executor::runtime
