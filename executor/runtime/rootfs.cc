#include "executor/runtime/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "base/unique_fd.h"
#include "executor/runtime/devices.h"
#include "executor/runtime/mount_steps.h"
#include "executor/runtime/syscalls.h"

namespace bt::executor::runtime {
namespace {

// pivot_root fails under a shared parent mount, and a bind under a shared parent would
// propagate to the host: the mount holding the rootfs becomes private (or slave), found by
// walking up until mount(2) stops answering EINVAL (not a mount point), as runc's
// rootfsParentMountPropagation.
bool MakeParentPrivate(const ContainerPlan& plan, ChildFailure* failure) {
  char path[PATH_MAX];
  if (plan.rootfs.size() >= sizeof path) {
    return Fail(failure, "use rootfs", plan.rootfs.c_str(), ENAMETOOLONG);
  }
  std::memcpy(path, plan.rootfs.c_str(), plan.rootfs.size() + 1);
  while (true) {
    if (::mount(nullptr, path, nullptr, plan.parent_propagation, nullptr) == 0) return true;
    if (errno != EINVAL || std::strcmp(path, "/") == 0) {
      return Fail(failure, "make the rootfs' parent mount private", path, errno);
    }
    char* slash = std::strrchr(path, '/');
    if (slash == path) {
      path[1] = '\0';
    } else {
      *slash = '\0';
    }
  }
}

// runc's pivotRoot: pivot_root(".", ".") stacks the old root on top of the new one; it is
// made rslave (so the unmount does not reach the host) and lazily detached.
bool PivotRoot(int root_fd, const ContainerPlan& plan, ChildFailure* failure) {
  const UniqueFd old_root(::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!old_root.valid()) return Fail(failure, "open", "/", errno);
  if (::fchdir(root_fd) != 0) return Fail(failure, "chdir", plan.rootfs.c_str(), errno);
  if (sys::PivotRoot(".", ".") != 0) return Fail(failure, "pivot_root", plan.rootfs.c_str(), errno);
  if (::fchdir(old_root.get()) != 0) return Fail(failure, "chdir", "the old root", errno);
  if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) {
    return Fail(failure, "make the old root rslave", ".", errno);
  }
  if (::umount2(".", MNT_DETACH) != 0) return Fail(failure, "unmount", "the old root", errno);
  if (::chdir("/") != 0) return Fail(failure, "chdir", "/", errno);
  return true;
}

}  // namespace

bool SetUpRootfs(const ContainerPlan& plan, ChildFailure* failure) {
  if (::mount(nullptr, "/", nullptr, plan.root_propagation, nullptr) != 0) {
    return Fail(failure, "set the propagation of /", "linux.rootfsPropagation", errno);
  }
  if (!MakeParentPrivate(plan, failure)) return false;
  if (::mount(plan.rootfs.c_str(), plan.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return Fail(failure, "bind the rootfs onto itself", plan.rootfs.c_str(), errno);
  }
  const UniqueFd root(::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return Fail(failure, "open the rootfs", plan.rootfs.c_str(), errno);
  for (const MountStep& step : plan.mounts) {
    if (!PerformMountStep(root.get(), step, failure)) return false;
  }
  if (plan.setup_dev && !CreateDevices(root.get(), plan, failure)) return false;
  if (!PivotRoot(root.get(), plan, failure)) return false;
  if (plan.late_propagation != 0 &&
      ::mount(nullptr, "/", nullptr, plan.late_propagation, nullptr) != 0) {
    return Fail(failure, "set the propagation of /", "linux.rootfsPropagation", errno);
  }
  const UniqueFd new_root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!new_root.valid()) return Fail(failure, "open", "/", errno);
  for (const MountStep& step : plan.mounts) {
    if (step.defer_read_only &&
        !MakeMountReadOnly(new_root.get(), step.destination.c_str(), step.field.c_str(), failure)) {
      return false;
    }
  }
  if (plan.readonly_root) {
    mount_attr attr = {};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::mount_setattr(new_root.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
      return Fail(failure, "make the rootfs read-only", "root.readonly", errno);
    }
  }
  return true;
}

}  // namespace bt::executor::runtime
