#include "executor/runtime/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "base/unique_fd.h"
#include "executor/runtime/json_fields.h"

namespace bt::executor::runtime {
namespace {

std::string MapText(const std::vector<IdMapping>& mappings) {
  std::string text;
  for (const IdMapping& m : mappings) {
    text += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
            std::to_string(m.size) + "\n";
  }
  return text;
}

Result<void> WriteProcFile(pid_t pid, const char* name, const std::string& text) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open", path, errno);
  // The kernel takes a map in a single write; a short write would be a partial map.
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return ErrnoError("write", path, errno);
  }
  return {};
}

}  // namespace

Result<NamespacePlan> PlanNamespaces(const Linux& linux, bool runtime_is_root) {
  NamespacePlan plan;
  if (!linux.Has(NamespaceKind::kMount)) {
    return FieldError(
        "linux.namespaces",
        "a mount namespace is required: buildtool-runtime always pivots into the rootfs");
  }
  for (const NamespaceKind kind : linux.namespaces) {
    switch (kind) {
      case NamespaceKind::kMount:
        plan.unshare_flags |= CLONE_NEWNS;
        break;
      case NamespaceKind::kPid:
        plan.clone_flags |= CLONE_NEWPID;
        break;
      case NamespaceKind::kUts:
        plan.unshare_flags |= CLONE_NEWUTS;
        break;
      case NamespaceKind::kIpc:
        plan.unshare_flags |= CLONE_NEWIPC;
        break;
      case NamespaceKind::kNetwork:
        plan.unshare_flags |= CLONE_NEWNET;
        plan.network = true;
        break;
      case NamespaceKind::kUser:
        plan.clone_flags |= CLONE_NEWUSER;
        plan.user = true;
        break;
      case NamespaceKind::kCgroup:
        plan.unshare_flags |= CLONE_NEWCGROUP;
        break;
    }
  }
  if (plan.user) {
    if (linux.uid_mappings.empty()) {
      return FieldError("linux.uidMappings", "a user namespace needs uid mappings");
    }
    if (linux.gid_mappings.empty()) {
      return FieldError("linux.gidMappings", "a user namespace needs gid mappings");
    }
    plan.uid_map = MapText(linux.uid_mappings);
    plan.gid_map = MapText(linux.gid_mappings);
    plan.deny_setgroups = !runtime_is_root;
  } else if (!linux.uid_mappings.empty() || !linux.gid_mappings.empty()) {
    return FieldError(linux.uid_mappings.empty() ? "linux.gidMappings" : "linux.uidMappings",
                      "id mappings need a user namespace in linux.namespaces");
  }
  return plan;
}

Result<void> WriteIdMaps(pid_t pid, const NamespacePlan& plan) {
  if (!plan.user) return {};
  if (plan.deny_setgroups) BT_TRY(WriteProcFile(pid, "setgroups", "deny"));
  Result<void> uid = WriteProcFile(pid, "uid_map", plan.uid_map);
  if (!uid) return std::move(uid).error().Wrap("linux.uidMappings");
  Result<void> gid = WriteProcFile(pid, "gid_map", plan.gid_map);
  if (!gid) return std::move(gid).error().Wrap("linux.gidMappings");
  return {};
}

bool BringLoopbackUp(ChildFailure* failure) {
  const UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return Fail(failure, "open a socket to configure", "lo", errno);
  ifreq req = {};
  std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &req) != 0) {
    return Fail(failure, "read the flags of", "lo", errno);
  }
  req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP);
  if (::ioctl(sock.get(), SIOCSIFFLAGS, &req) != 0) return Fail(failure, "bring up", "lo", errno);
  return true;
}

}  // namespace bt::executor::runtime
