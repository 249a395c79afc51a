#include "executor/sandbox/runtime_config.h"

#include <fstream>
#include <string>

#include "executor/runtime/kernel_names.h"
#include "executor/sandbox/seccomp_profile.h"

namespace bt::executor {
namespace {

using nlohmann::json;

json CapabilityNames(std::uint64_t bits) {
  json names = json::array();
  for (int n = 0; n <= runtime::LastKnownCapability() && n < 64; ++n) {
    if ((bits >> n) & 1U) names.push_back(std::string(runtime::CapabilityName(n)));
  }
  return names;
}

json Mount(const char* destination, const char* type, const char* source,
           std::initializer_list<const char*> options) {
  json o = json::array();
  for (const char* opt : options) o.push_back(opt);
  return json{{"destination", destination}, {"type", type}, {"source", source}, {"options", o}};
}

// containerd's populateDefaultUnixSpec mounts minus /run (BuildKit removes it: moby/buildkit#429),
// with BuildKit's read-only cgroup mount; insecure mode leaves sysfs and cgroupfs writable.
json DefaultMounts(bool insecure) {
  json mounts = json::array();
  mounts.push_back(Mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
  mounts.push_back(Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  mounts.push_back(Mount("/dev/pts", "devpts", "devpts",
                         {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  mounts.push_back(Mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  mounts.push_back(Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  if (insecure) {
    mounts.push_back(Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev"}));
    mounts.push_back(Mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime"}));
  } else {
    mounts.push_back(Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
    mounts.push_back(Mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}));
  }
  return mounts;
}

json StepMount(const SandboxMount& m) {
  json options = json::array();
  if (m.kind == SandboxMount::Kind::kBind) {
    options.push_back("rbind");
  } else if (m.tmpfs_size > 0) {
    options.push_back("size=" + std::to_string(m.tmpfs_size));
  }
  options.push_back(m.readonly ? "ro" : "rw");
  for (const std::string& o : m.options) options.push_back(o);
  if (m.kind == SandboxMount::Kind::kBind) {
    return json{{"destination", m.destination}, {"type", "bind"}, {"source", m.source}, {"options", options}};
  }
  return json{{"destination", m.destination}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", options}};
}

}  // namespace

std::uint64_t HeldCapabilities() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("CapEff:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  }
  return 0;
}

json RuntimeConfig(const SandboxSpec& spec) {
  const std::uint64_t caps = spec.insecure ? HeldCapabilities() : kDefaultCapabilities;
  const json cap_names = CapabilityNames(caps);
  json user = {{"uid", spec.uid}, {"gid", spec.gid}};
  if (!spec.additional_gids.empty()) user["additionalGids"] = spec.additional_gids;
  json process = {
      {"terminal", false},
      {"user", user},
      {"args", spec.args},
      {"env", spec.env},
      {"cwd", spec.cwd},
      {"capabilities",
       {{"bounding", cap_names}, {"effective", cap_names}, {"permitted", cap_names}}},
      // BuildKit leaves no_new_privs off so setuid programs work after USER (SECURITY.md
      // decision 2) and clears the rlimits, so the step inherits buildtool's.
      {"noNewPrivileges", false},
  };

  json mounts = DefaultMounts(spec.insecure);
  for (const SandboxMount& m : spec.mounts) mounts.push_back(StepMount(m));

  json namespaces = json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}});
  if (spec.network == StepNetwork::kSandbox) {
    namespaces.push_back({{"type", "network"}, {"path", spec.netns_path}});
  } else if (spec.network == StepNetwork::kNone) {
    namespaces.push_back({{"type", "network"}});
  }

  json linux = {{"namespaces", namespaces}};
  json devices = json::array();
  if (spec.insecure) {
    devices.push_back({{"allow", true}, {"access", "rwm"}});
    linux["maskedPaths"] = json::array();
    linux["readonlyPaths"] = json::array();
  } else {
    devices.push_back({{"allow", false}, {"access", "rwm"}});
    linux["maskedPaths"] = {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                            "/proc/sched_debug", "/sys/firmware", "/sys/devices/virtual/powercap",
                            "/proc/scsi"};
    // containerd's list, plus /sys/fs/cgroup: on a cgroup v1 host runc 1.1 and crun 1.8 mount
    // it as a tmpfs of per-controller binds and leave that tmpfs writable despite "ro".
    linux["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
                              "/sys/fs/cgroup"};
    linux["seccomp"] = DefaultSeccompProfile(caps, spec.arch);
  }
  if (!spec.cgroups_path.empty()) {
    json resources = {{"devices", devices}};
    if (spec.pids_limit > 0) resources["pids"] = {{"limit", spec.pids_limit}};
    linux["resources"] = resources;
    linux["cgroupsPath"] = spec.cgroups_path;
  }

  return json{{"ociVersion", "1.0.2"},
              {"process", process},
              {"root", {{"path", spec.rootfs}, {"readonly", false}}},
              {"hostname", spec.hostname},
              {"mounts", mounts},
              {"linux", linux}};
}

}  // namespace bt::executor
