#include "executor/runtime/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
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

struct JoinableKind {
  NamespaceKind kind;
  int nstype;
  const char* name;  // as in config.json
};

constexpr JoinableKind kJoinable[] = {
    {NamespaceKind::kNetwork, CLONE_NEWNET, "network"},
    {NamespaceKind::kUts, CLONE_NEWUTS, "uts"},
    {NamespaceKind::kIpc, CLONE_NEWIPC, "ipc"},
};

const char* KindName(int nstype) {
  switch (nstype) {
    case CLONE_NEWNET:
      return "network";
    case CLONE_NEWUTS:
      return "uts";
    case CLONE_NEWIPC:
      return "ipc";
    case CLONE_NEWNS:
      return "mount";
    case CLONE_NEWPID:
      return "pid";
    case CLONE_NEWUSER:
      return "user";
    case CLONE_NEWCGROUP:
      return "cgroup";
    default:
      return "unknown";  // time namespaces, or a kind newer than these headers
  }
}

// The runtime's check of a joined namespace's file, so a wrong path fails before any
// container exists, naming the field. The child's setns checks the type again on whatever
// the path names by then.
Result<NamespaceJoin> PlanJoin(const JoinedNamespace& joined) {
  const JoinableKind* kind = nullptr;
  for (const JoinableKind& k : kJoinable) {
    if (k.kind == joined.kind) kind = &k;
  }
  if (kind == nullptr) {
    return FieldError(joined.field, "joining this kind of namespace is not implemented");
  }
  const UniqueFd fd(::open(joined.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open namespace file", joined.path, errno).Wrap(joined.field);
  struct statfs fs;
  if (::fstatfs(fd.get(), &fs) != 0) {
    return ErrnoError("statfs", joined.path, errno).Wrap(joined.field);
  }
  const std::string want = std::string("a ") + kind->name + " namespace";
  if (fs.f_type != NSFS_MAGIC) {
    return FieldError(joined.field, "\"" + joined.path + "\" is not " + want +
                                        " (not a namespace file such as /proc/<pid>/ns/net or "
                                        "a bind mount of one)");
  }
  // NS_GET_NSTYPE: Linux 4.11.
  const int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (type < 0) {
    return ErrnoError("read the namespace type of", joined.path, errno).Wrap(joined.field);
  }
  if (type != kind->nstype) {
    return FieldError(joined.field,
                      "\"" + joined.path + "\" is a " + KindName(type) + " namespace, not " + want);
  }
  return NamespaceJoin{kind->nstype, joined.path, joined.field};
}

}  // namespace

Result<NamespacePlan> PlanNamespaces(const Linux& linux, bool runtime_is_root) {
  NamespacePlan plan;
  if (!linux.Has(NamespaceKind::kMount)) {
    return FieldError(
        "linux.namespaces",
        "a mount namespace is required: buildtool-runtime always pivots into the rootfs");
  }
  const auto joined = [&linux](NamespaceKind kind) {
    return std::any_of(linux.joined_namespaces.begin(), linux.joined_namespaces.end(),
                       [kind](const JoinedNamespace& j) { return j.kind == kind; });
  };
  for (const NamespaceKind kind : linux.namespaces) {
    switch (kind) {
      case NamespaceKind::kMount:
        plan.unshare_flags |= CLONE_NEWNS;
        break;
      case NamespaceKind::kPid:
        plan.clone_flags |= CLONE_NEWPID;
        break;
      case NamespaceKind::kUts:
        if (!joined(kind)) plan.unshare_flags |= CLONE_NEWUTS;
        break;
      case NamespaceKind::kIpc:
        if (!joined(kind)) plan.unshare_flags |= CLONE_NEWIPC;
        break;
      case NamespaceKind::kNetwork:
        if (!joined(kind)) {
          plan.unshare_flags |= CLONE_NEWNET;
          plan.network = true;
        }
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
  for (const JoinedNamespace& j : linux.joined_namespaces) {
    if (plan.user) {
      // The child is cloned into the new user namespace, which holds no capability over a
      // namespace owned by its parent: setns would fail with EPERM. runc joins before it
      // creates the user namespace; builds never need both.
      return FieldError(j.field,
                        "joining an existing namespace together with a new user namespace is "
                        "not implemented by buildtool-runtime");
    }
    BT_ASSIGN_OR_RETURN(NamespaceJoin join, PlanJoin(j));
    plan.joins.push_back(std::move(join));
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

bool JoinNamespace(const NamespaceJoin& join, ChildFailure* failure) {
  const UniqueFd fd(::open(join.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return Fail2(failure, "open the namespace to join", join.field.c_str(), join.path.c_str(),
                 errno);
  }
  if (::setns(fd.get(), join.nstype) != 0) {
    return Fail2(failure, "join the namespace", join.field.c_str(), join.path.c_str(), errno);
  }
  return true;
}

}  // namespace bt::executor::runtime
