#include "executor/runtime/plan.h"

#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>

#include "executor/runtime/devices.h"
#include "executor/runtime/in_root.h"
#include "executor/runtime/json_fields.h"
#include "executor/runtime/namespaces.h"
#include "executor/runtime/seccomp_cache.h"
#include "executor/runtime/sysctl.h"

namespace bt::executor::runtime {
namespace {

bool IsUnder(std::string_view path, std::string_view dir) {
  return path == dir ||
         (path.size() > dir.size() && path.rfind(dir, 0) == 0 && path[dir.size()] == '/');
}

// runc's checkProcMount: nothing may be mounted inside /proc except the files lxcfs
// emulates, and /proc itself only takes a procfs. A bind over /proc/self/... or
// /proc/sys/kernel/core_pattern would hand the container the host's view or let it escape.
Result<void> CheckProcDestination(const Mount& m, const std::string& dest,
                                  const std::string& field) {
  if (!IsUnder(dest, "/proc")) return {};
  if (dest == "/proc") {
    if (m.type == "proc") return {};
    return FieldError(field + ".destination", "/proc only takes a filesystem of type proc");
  }
  static constexpr std::array<std::string_view, 10> kLxcfsFiles = {
      "/proc/cpuinfo",
      "/proc/diskstats",
      "/proc/meminfo",
      "/proc/stat",
      "/proc/swaps",
      "/proc/uptime",
      "/proc/loadavg",
      "/proc/slabinfo",
      "/proc/sys/kernel/ns_last_pid",
      "/proc/sys/crypto/fips_enabled",
  };
  if (m.type == "bind" &&
      std::find(kLxcfsFiles.begin(), kLxcfsFiles.end(), dest) != kLxcfsFiles.end()) {
    return {};
  }
  return FieldError(field + ".destination",
                    "\"" + dest + "\" cannot be mounted because it is inside /proc");
}

std::string Basename(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<void> PlanCgroupMount(const PlanInputs& in, MountStep* step) {
  const CgroupLayout& layout = in.cgroups;
  if (layout.unified) {
    step->kind = MountKind::kFilesystem;
    step->fstype = "cgroup2";
    step->fallback_bind = layout.v2_mount_point;
    return {};
  }
  if (layout.v1.empty()) {
    return FieldError(step->field + ".type", "the host has no cgroup hierarchy to show");
  }
  step->kind = MountKind::kCgroupV1;
  step->fstype = "cgroup";
  step->source = "tmpfs";
  step->defer_read_only = step->options.read_only();
  for (const CgroupHierarchy& h : layout.v1) {
    std::string source;
    for (const auto& [mount_point, dir] : in.container_cgroups) {
      if (mount_point == h.mount_point) source = dir;
    }
    if (source.empty()) source = HierarchyDirectory(h, h.own_path.empty() ? "/" : h.own_path);
    if (source.empty()) {
      return FieldError(step->field,
                        "the runtime's own cgroup is outside the mounted part of " + h.mount_point);
    }
    const std::string name = Basename(h.mount_point);
    const std::string dest = LexicallyClean(step->destination + "/" + name);
    step->cgroup_binds.push_back(CgroupBind{source, dest});
    if (name.find(',') != std::string::npos) {
      std::size_t start = 0;
      while (start <= name.size()) {
        const std::size_t comma = std::min(name.find(',', start), name.size());
        const std::string part = name.substr(start, comma - start);
        if (!part.empty()) {
          step->cgroup_links.push_back(
              CgroupLink{LexicallyClean(step->destination + "/" + part), name});
        }
        start = comma + 1;
      }
    }
  }
  return {};
}

Result<std::vector<MountStep>> PlanMounts(const Spec& spec, const PlanInputs& in, bool user_ns,
                                          bool net_ns) {
  std::vector<MountStep> steps;
  for (std::size_t i = 0; i < spec.mounts.size(); ++i) {
    const Mount& m = spec.mounts[i];
    MountStep step;
    step.field = ItemPath("mounts", i);
    step.destination = LexicallyClean(m.destination);
    if (step.destination == "/") {
      return FieldError(step.field + ".destination", "mounting over the rootfs is not implemented");
    }
    BT_TRY(CheckProcDestination(m, step.destination, step.field));
    BT_ASSIGN_OR_RETURN(step.options, ParseMountOptions(m, step.field));
    step.source = m.source;
    if (m.type == "bind") {
      if (m.source.empty()) {
        return FieldError(step.field + ".source", "a bind mount needs a source");
      }
      step.kind = MountKind::kBind;
      step.source = m.source.front() == '/' ? m.source : in.bundle + "/" + m.source;
      struct stat st;
      if (::stat(step.source.c_str(), &st) != 0) {
        return ErrnoError("stat bind source", step.source, errno).Wrap(step.field + ".source");
      }
      step.file_target = !S_ISDIR(st.st_mode);
    } else if (m.type == "proc" || m.type == "sysfs" || m.type == "tmpfs" || m.type == "devpts" ||
               m.type == "mqueue") {
      step.kind = MountKind::kFilesystem;
      step.fstype = m.type;
      step.no_symlinks = m.type == "proc" || m.type == "sysfs";
      step.defer_read_only = m.type == "tmpfs" && step.options.read_only();
      if (m.type == "sysfs" && user_ns && !net_ns) {
        // A user namespace may only mount the sysfs of a network namespace it owns; runc
        // binds the host's /sys instead (read-only when asked), and so do we.
        step.kind = MountKind::kBind;
        step.source = "/sys";
        step.options.recursive = true;
      }
    } else if (m.type == "cgroup") {
      if (!step.options.data.empty()) {
        return FieldError(step.field + ".options", "a cgroup mount takes no filesystem options");
      }
      BT_TRY(PlanCgroupMount(in, &step));
    } else {
      return FieldError(step.field + ".type",
                        "\"" + m.type + "\" is not implemented by buildtool-runtime");
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

Result<ProcessPlan> PlanProcess(const Process& p, bool deny_setgroups) {
  ProcessPlan out;
  out.args = p.args;
  out.env = p.env;
  out.add_home = std::none_of(p.env.begin(), p.env.end(),
                              [](const std::string& e) { return e.rfind("HOME=", 0) == 0; });
  out.cwd = LexicallyClean(p.cwd);
  out.uid = p.user.uid;
  out.gid = p.user.gid;
  out.groups.assign(p.user.additional_gids.begin(), p.user.additional_gids.end());
  if (deny_setgroups && !out.groups.empty()) {
    return FieldError("process.user.additionalGids",
                      "an unprivileged runtime's user namespace cannot set supplementary groups");
  }
  out.set_groups = !deny_setgroups;
  out.umask = static_cast<mode_t>(p.user.umask.value_or(022));
  out.capabilities = p.capabilities;
  out.rlimits = p.rlimits;
  out.no_new_privileges = p.no_new_privileges;
  return out;
}

}  // namespace

Result<void> ValidateContainerId(const std::string& id) {
  const bool valid = !id.empty() && id != "." && id != ".." && id.size() <= 1024 &&
                     std::all_of(id.begin(), id.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-' ||
                              c == '.';
                     });
  if (!valid) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid container id \"" + id + "\": use letters, digits, _ + - and .");
  }
  return {};
}

Result<ContainerPlan> MakePlan(const Spec& spec, const PlanInputs& in) {
  ContainerPlan plan;
  plan.id = in.id;
  const Linux& linux = spec.linux;
  BT_ASSIGN_OR_RETURN(const NamespacePlan ns, PlanNamespaces(linux, in.runtime_is_root));
  plan.namespaces = ns;

  const std::string root =
      spec.root_path.front() == '/' ? spec.root_path : in.bundle + "/" + spec.root_path;
  char resolved[PATH_MAX];
  if (::realpath(root.c_str(), resolved) == nullptr) {
    return ErrnoError("resolve rootfs", root, errno).Wrap("root.path");
  }
  plan.rootfs = resolved;
  struct stat st;
  if (::stat(plan.rootfs.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return FieldError("root.path", "\"" + plan.rootfs + "\" is not a directory");
  }
  if (plan.rootfs == "/") return FieldError("root.path", "the host's / cannot be a rootfs");
  plan.readonly_root = spec.root_readonly;

  static constexpr std::array<std::pair<std::string_view, unsigned long>, 9> kPropagation = {{
      {"", MS_SLAVE | MS_REC},
      {"shared", MS_SHARED},
      {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},
      {"rslave", MS_SLAVE | MS_REC},
      {"private", MS_PRIVATE},
      {"rprivate", MS_PRIVATE | MS_REC},
      {"unbindable", MS_UNBINDABLE},
      {"runbindable", MS_UNBINDABLE | MS_REC},
  }};
  for (const auto& [name, flags] : kPropagation) {
    if (name == linux.rootfs_propagation) plan.root_propagation = flags;
  }
  // As runc's prepareRoot and prepareRootfs: the rootfs' parent becomes slave or private; a
  // shared or unbindable root is applied again after pivot_root, to the new "/".
  plan.parent_propagation = (plan.root_propagation & MS_SLAVE) ? MS_SLAVE : MS_PRIVATE;
  plan.late_propagation =
      (plan.root_propagation & (MS_PRIVATE | MS_SLAVE)) == 0 ? plan.root_propagation : 0;

  BT_ASSIGN_OR_RETURN(plan.mounts, PlanMounts(spec, in, ns.user, ns.network));
  plan.setup_dev = std::none_of(plan.mounts.begin(), plan.mounts.end(), [](const MountStep& s) {
    return s.kind == MountKind::kBind && s.destination == "/dev";
  });
  plan.bind_devices = ns.user;
  plan.devices = DeviceNodes(linux.devices);
  plan.dev_core_link = ::access("/proc/kcore", F_OK) == 0;

  if (!spec.hostname.empty()) {
    if (!linux.Has(NamespaceKind::kUts)) {
      return FieldError("hostname", "setting it needs a uts namespace in linux.namespaces");
    }
    plan.hostname = spec.hostname;
    plan.set_hostname = true;
  }
  if (!spec.domainname.empty()) {
    if (!linux.Has(NamespaceKind::kUts)) {
      return FieldError("domainname", "setting it needs a uts namespace in linux.namespaces");
    }
    plan.domainname = spec.domainname;
    plan.set_domainname = true;
  }
  for (const auto& [key, value] : linux.sysctl) {
    BT_ASSIGN_OR_RETURN(std::string file, SysctlFile(key, linux));
    plan.sysctl.emplace_back(std::move(file), value);
  }
  for (const std::string& p : linux.masked_paths) plan.masked_paths.push_back(LexicallyClean(p));
  for (const std::string& p : linux.readonly_paths) {
    plan.readonly_paths.push_back(LexicallyClean(p));
  }
  plan.oom_score_adj = spec.process.oom_score_adj;

  BT_ASSIGN_OR_RETURN(plan.process, PlanProcess(spec.process, ns.deny_setgroups));
  if (linux.seccomp) {
    BT_ASSIGN_OR_RETURN(plan.process.seccomp,
                        CompileSeccompCached(*linux.seccomp, in.seccomp_cache_dir));
  }
  return plan;
}

}  // namespace bt::executor::runtime
