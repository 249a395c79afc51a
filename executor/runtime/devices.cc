#include "executor/runtime/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>

#include "base/unique_fd.h"
#include "executor/runtime/in_root.h"

namespace bt::executor::runtime {
namespace {

struct DefaultNode {
  const char* path;
  unsigned major;
  unsigned minor;
};
// runc's AllowedDevices with a path, in its order.
constexpr std::array<DefaultNode, 6> kDefaultNodes = {{
    {"/dev/null", 1, 3},
    {"/dev/random", 1, 8},
    {"/dev/full", 1, 7},
    {"/dev/tty", 5, 0},
    {"/dev/zero", 1, 5},
    {"/dev/urandom", 1, 9},
}};

bool BindNode(int dir_fd, const char* name, const DeviceNode& node, ChildFailure* failure) {
  const UniqueFd target(::openat(dir_fd, name, O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_WRONLY, 0));
  if (!target.valid() && errno != EISDIR) {
    return Fail(failure, "create the mount point of device", node.path.c_str(), errno);
  }
  const UniqueFd point(::openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!point.valid()) {
    return Fail(failure, "open the mount point of device", node.path.c_str(), errno);
  }
  const UniqueFd tree(
      ::open_tree(AT_FDCWD, node.path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree.valid()) return Fail(failure, "open the host device", node.path.c_str(), errno);
  // Only a device of the promised type and number is bound: a linux.devices entry must not
  // become a way to bind an arbitrary host file into the container.
  struct stat st;
  if (::fstat(tree.get(), &st) != 0) {
    return Fail(failure, "stat the host device", node.path.c_str(), errno);
  }
  if ((st.st_mode & S_IFMT) != (node.mode & S_IFMT) || st.st_rdev != node.rdev) {
    return Fail(failure, "bind the host device (type or major:minor differ from the config)",
                node.path.c_str(), 0);
  }
  if (::move_mount(tree.get(), "", point.get(), "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    return Fail(failure, "bind-mount the host device", node.path.c_str(), errno);
  }
  return true;
}

bool MakeNode(int root_fd, const DeviceNode& node, bool bind, ChildFailure* failure) {
  char parent[PATH_MAX];
  const char* name = SplitParent(node.path.c_str(), parent, sizeof parent);
  if (name == nullptr) return Fail(failure, "create device", node.path.c_str(), EINVAL);
  const UniqueFd dir(MkdirAllInRoot(root_fd, parent));
  if (!dir.valid()) {
    return Fail(failure, "create the directory of device", node.path.c_str(), errno);
  }
  if (bind) return BindNode(dir.get(), name, node, failure);
  if (::mknodat(dir.get(), name, node.mode, node.rdev) != 0) {
    if (errno == EEXIST) return true;  // the image has it already; runc keeps it too
    if (errno == EPERM) return BindNode(dir.get(), name, node, failure);
    return Fail(failure, "mknod", node.path.c_str(), errno);
  }
  struct stat st;
  if (::fstatat(dir.get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return Fail(failure, "stat the new device", node.path.c_str(), errno);
  }
  if ((st.st_mode & S_IFMT) != (node.mode & S_IFMT) || st.st_rdev != node.rdev) {
    return Fail(failure, "verify the new device (type or major:minor differ)", node.path.c_str(),
                0);
  }
  // mknod applied the umask; set the exact mode, then the owner. Nothing else runs in the
  // container yet, so the node checked above is the one changed here.
  if (::fchmodat(dir.get(), name, node.mode & 07777, 0) != 0) {
    return Fail(failure, "chmod device", node.path.c_str(), errno);
  }
  if (::fchownat(dir.get(), name, node.uid, node.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return Fail(failure, "chown device", node.path.c_str(), errno);
  }
  return true;
}

bool Symlink(int root_fd, const char* target, const char* path, ChildFailure* failure) {
  char parent[PATH_MAX];
  const char* name = SplitParent(path, parent, sizeof parent);
  const UniqueFd dir(name == nullptr ? -1 : MkdirAllInRoot(root_fd, parent));
  if (!dir.valid()) return Fail(failure, "create the directory of", path, errno);
  if (::symlinkat(target, dir.get(), name) != 0 && errno != EEXIST) {
    return Fail(failure, "create symlink", path, errno);
  }
  return true;
}

}  // namespace

std::vector<DeviceNode> DeviceNodes(const std::vector<Device>& devices) {
  std::vector<DeviceNode> out;
  for (const DefaultNode& d : kDefaultNodes) {
    bool replaced = false;
    for (const Device& dev : devices) replaced = replaced || LexicallyClean(dev.path) == d.path;
    if (replaced) continue;
    out.push_back(DeviceNode{d.path, S_IFCHR | 0666, makedev(d.major, d.minor), 0, 0});
  }
  for (const Device& dev : devices) {
    const std::string path = LexicallyClean(dev.path);
    if (path == "/dev/ptmx") continue;  // always the pts/ptmx link, as runc
    const mode_t type = dev.type == 'b' ? S_IFBLK : dev.type == 'p' ? S_IFIFO : S_IFCHR;
    out.push_back(
        DeviceNode{path, static_cast<mode_t>(type | dev.file_mode),
                   makedev(static_cast<unsigned>(dev.major), static_cast<unsigned>(dev.minor)),
                   dev.uid, dev.gid});
  }
  return out;
}

bool CreateDevices(int root_fd, const ContainerPlan& plan, ChildFailure* failure) {
  for (const DeviceNode& node : plan.devices) {
    if (!MakeNode(root_fd, node, plan.bind_devices, failure)) return false;
  }
  // /dev/ptmx is the devpts instance's own ptmx (runc's setupPtmx): whatever the image had
  // there is replaced.
  const UniqueFd dev(MkdirAllInRoot(root_fd, "/dev"));
  if (!dev.valid()) return Fail(failure, "open", "/dev", errno);
  if (::unlinkat(dev.get(), "ptmx", 0) != 0 && errno != ENOENT) {
    return Fail(failure, "remove", "/dev/ptmx", errno);
  }
  if (!Symlink(root_fd, "pts/ptmx", "/dev/ptmx", failure)) return false;
  const std::array<std::pair<const char*, const char*>, 4> links = {{
      {"/proc/self/fd", "/dev/fd"},
      {"/proc/self/fd/0", "/dev/stdin"},
      {"/proc/self/fd/1", "/dev/stdout"},
      {"/proc/self/fd/2", "/dev/stderr"},
  }};
  for (const auto& [target, path] : links) {
    if (!Symlink(root_fd, target, path, failure)) return false;
  }
  if (plan.dev_core_link && !Symlink(root_fd, "/proc/kcore", "/dev/core", failure)) return false;
  return true;
}

}  // namespace bt::executor::runtime
