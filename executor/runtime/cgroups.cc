#include "executor/runtime/cgroups.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string_view>

#include "base/unique_fd.h"
#include "executor/runtime/in_root.h"
#include "executor/runtime/json_fields.h"

namespace bt::executor::runtime {
namespace {

// runc's AllowedDevices (libcontainer/specconv/spec_linux.go), appended after the config's
// own rules as runc does, so the nodes every container gets keep working under a
// containerd-style "deny all" rule: mknod of anything, null, random, full, tty, zero,
// urandom, /dev/pts/*, /dev/ptmx and /dev/net/tun.
constexpr std::string_view kDefaultAllowedDevices[] = {
    "c *:* m",   "b *:* m",   "c 1:3 rwm",   "c 1:8 rwm", "c 1:7 rwm",    "c 5:0 rwm",
    "c 1:5 rwm", "c 1:9 rwm", "c 136:* rwm", "c 5:2 rwm", "c 10:200 rwm",
};

Result<void> WriteFile(const std::string& path, std::string_view value) {
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open", path, errno);
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    Error e = ErrnoError("write", path, errno);
    e.message.append(" (writing \"").append(value).append("\")");
    return e;
  }
  return {};
}

// mkdir -p below `base` (an existing cgroup directory), remembering what it made.
Result<void> MakeDirectories(const std::string& base, const std::string& relative,
                             std::vector<std::string>* created) {
  std::string path = base;
  std::size_t i = 0;
  while (i < relative.size()) {
    const std::size_t j = relative.find('/', i + 1);
    path += relative.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if (::mkdir(path.c_str(), 0755) == 0) {
      created->push_back(path);
    } else if (errno != EEXIST) {
      return ErrnoError("create cgroup", path, errno);
    }
    if (j == std::string::npos) break;
    i = j;
  }
  return {};
}

// The directory of cgroup `path` in hierarchy `h`, created with its missing parents.
Result<std::string> MakeCgroupDirectory(const CgroupHierarchy& h, const std::string& path,
                                        std::vector<std::string>* created) {
  const std::string dir = HierarchyDirectory(h, path);
  if (dir.empty()) {
    return MakeError(
        ErrorCode::kFailedPrecondition,
        "cgroup " + path + " lies outside the part of the hierarchy mounted at " + h.mount_point);
  }
  BT_TRY(MakeDirectories(h.mount_point, dir.substr(h.mount_point.size()), created));
  return dir;
}

std::string DeviceRuleText(const DeviceRule& rule) {
  if (rule.type == 'a') return "a";
  auto number = [](const std::optional<std::int64_t>& n) {
    return n && *n >= 0 ? std::to_string(*n) : std::string("*");
  };
  return std::string(1, rule.type) + " " + number(rule.major) + ":" + number(rule.minor) + " " +
         rule.access;
}

}  // namespace

ContainerCgroup::ContainerCgroup(ContainerCgroup&& other) noexcept
    : directories_(std::move(other.directories_)), created_(std::move(other.created_)) {
  other.created_.clear();
  other.directories_.clear();
}

ContainerCgroup& ContainerCgroup::operator=(ContainerCgroup&& other) noexcept {
  if (this != &other) {
    (void)Remove();
    directories_ = std::move(other.directories_);
    created_ = std::move(other.created_);
    other.created_.clear();
    other.directories_.clear();
  }
  return *this;
}

ContainerCgroup::~ContainerCgroup() { (void)Remove(); }

std::uint64_t ContainerCgroup::PidsLimitHits() const {
  for (const auto& [mount_point, dir] : directories_) {
    std::ifstream events(dir + "/pids.events");
    std::string key;
    std::uint64_t count = 0;
    while (events >> key >> count) {
      if (key == "max") return count;
    }
  }
  return 0;
}

Result<void> ContainerCgroup::Remove() {
  while (!created_.empty()) {
    const std::string dir = created_.back();
    created_.pop_back();
    // The pid namespace is gone, but its last processes may still be leaving the cgroup.
    int attempts = 0;
    while (::rmdir(dir.c_str()) != 0) {
      if (errno == ENOENT) break;
      if (errno != EBUSY || ++attempts > 100) return ErrnoError("remove cgroup", dir, errno);
      ::usleep(10000);
    }
  }
  directories_.clear();
  return {};
}

Result<ContainerCgroup> ContainerCgroup::Create(const Linux& linux, const std::string& id,
                                                const CgroupLayout& layout) {
  ContainerCgroup cgroup;
  const bool has_resources = linux.resources.has_value();
  if (!has_resources && linux.cgroups_path.empty()) return cgroup;
  // Points into `linux`; null when no limit is asked for.
  const std::int64_t* pids_limit =
      has_resources && linux.resources->pids_limit ? &*linux.resources->pids_limit : nullptr;
  const std::vector<DeviceRule> no_rules;
  const std::vector<DeviceRule>& device_rules = has_resources ? linux.resources->devices : no_rules;

  // The container's path in each hierarchy: absolute cgroupsPath as is, else below our own.
  auto container_path = [&](const std::string& own) {
    if (!linux.cgroups_path.empty() && linux.cgroups_path.front() == '/') {
      return LexicallyClean(linux.cgroups_path);
    }
    const std::string name = linux.cgroups_path.empty() ? id : linux.cgroups_path;
    return LexicallyClean(own + "/" + name);
  };

  if (layout.unified) {
    if (!device_rules.empty()) {
      return FieldError("linux.resources.devices",
                        "device rules on cgroup v2 need an eBPF device filter, which "
                        "buildtool-runtime does not implement");
    }
    const std::string path = container_path(layout.v2_own_path);
    if (pids_limit) {
      const std::string controllers_file = layout.v2_mount_point + "/cgroup.controllers";
      BT_ASSIGN_OR_RETURN(const std::string available, ReadSmallFile(controllers_file));
      if (available.find("pids") == std::string::npos) {
        return FieldError("linux.resources.pids.limit",
                          "the pids controller is not available in " + layout.v2_mount_point);
      }
      // Each ancestor must delegate the pids controller to its children (runc's fs2 walks
      // the same way). The root cgroup always may; an inner cgroup that holds processes
      // refuses with EBUSY (the "no internal processes" rule), and that is the error.
      std::string ancestor = layout.v2_mount_point;
      std::size_t i = 0;
      while (true) {
        const Result<void> enabled = WriteFile(ancestor + "/cgroup.subtree_control", "+pids");
        if (!enabled) return FieldError("linux.resources.pids.limit", enabled.error().message);
        const std::size_t j = path.find('/', i + 1);
        if (j == std::string::npos) break;
        ancestor = layout.v2_mount_point + path.substr(0, j);
        if (::mkdir(ancestor.c_str(), 0755) == 0) {
          cgroup.created_.push_back(ancestor);
        } else if (errno != EEXIST) {
          return ErrnoError("create cgroup", ancestor, errno);
        }
        i = j;
      }
    }
    BT_TRY(MakeDirectories(layout.v2_mount_point, path, &cgroup.created_));
    const std::string dir = layout.v2_mount_point + path;
    if (pids_limit) {
      const Result<void> written =
          WriteFile(dir + "/pids.max", *pids_limit > 0 ? std::to_string(*pids_limit) : "max");
      if (!written) return FieldError("linux.resources.pids.limit", written.error().message);
    }
    cgroup.directories_.emplace_back(layout.v2_mount_point, dir);
    return cgroup;
  }

  const CgroupHierarchy* pids = layout.FindV1("pids");
  if (pids == nullptr) {
    return FieldError(pids_limit ? "linux.resources.pids.limit" : "linux.cgroupsPath",
                      "no pids cgroup controller is mounted on this host");
  }
  {
    BT_ASSIGN_OR_RETURN(
        const std::string dir,
        MakeCgroupDirectory(*pids, container_path(pids->own_path), &cgroup.created_));
    if (pids_limit) {
      const Result<void> written =
          WriteFile(dir + "/pids.max", *pids_limit > 0 ? std::to_string(*pids_limit) : "max");
      if (!written) return FieldError("linux.resources.pids.limit", written.error().message);
    }
    cgroup.directories_.emplace_back(pids->mount_point, dir);
  }
  if (!device_rules.empty()) {
    const CgroupHierarchy* devices = layout.FindV1("devices");
    if (devices == nullptr) {
      return FieldError("linux.resources.devices", "no devices cgroup controller is mounted");
    }
    BT_ASSIGN_OR_RETURN(
        const std::string dir,
        MakeCgroupDirectory(*devices, container_path(devices->own_path), &cgroup.created_));
    // Start from "deny everything", then the config's rules in order, then runc's defaults.
    BT_TRY(WriteFile(dir + "/devices.deny", "a"));
    for (std::size_t i = 0; i < device_rules.size(); ++i) {
      const DeviceRule& rule = device_rules[i];
      const Result<void> written =
          WriteFile(dir + (rule.allow ? "/devices.allow" : "/devices.deny"), DeviceRuleText(rule));
      if (!written) {
        return FieldError(ItemPath("linux.resources.devices", i), written.error().message);
      }
    }
    for (const std::string_view rule : kDefaultAllowedDevices) {
      BT_TRY(WriteFile(dir + "/devices.allow", rule));
    }
    cgroup.directories_.emplace_back(devices->mount_point, dir);
  }
  return cgroup;
}

Result<void> ContainerCgroup::Enter(pid_t pid) const {
  for (const auto& [mount_point, dir] : directories_) {
    BT_TRY(WriteFile(dir + "/cgroup.procs", std::to_string(pid)));
  }
  return {};
}

std::string ContainerCgroup::DirectoryUnder(const std::string& mount_point) const {
  for (const auto& [mp, dir] : directories_) {
    if (mp == mount_point) return dir;
  }
  return "";
}

}  // namespace bt::executor::runtime
