#include "executor/runtime/path_masks.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "executor/runtime/in_root.h"

namespace bt::executor::runtime {
namespace {

bool AttachOver(int tree_fd, int target_fd, const char* stage, const std::string& path,
                ChildFailure* failure) {
  if (::move_mount(tree_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) !=
      0) {
    return Fail(failure, stage, path.c_str(), errno);
  }
  return true;
}

}  // namespace

bool ApplyReadonlyPaths(const ContainerPlan& plan, ChildFailure* failure) {
  const UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return Fail(failure, "open", "/", errno);
  for (const std::string& path : plan.readonly_paths) {
    const UniqueFd target(OpenInRoot(root.get(), path.c_str(), O_PATH));
    if (!target.valid()) {
      if (errno == ENOENT) continue;
      return Fail2(failure, "open", "linux.readonlyPaths", path.c_str(), errno);
    }
    const UniqueFd tree(::open_tree(
        target.get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH));
    if (!tree.valid()) return Fail2(failure, "bind", "linux.readonlyPaths", path.c_str(), errno);
    mount_attr attr = {};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
      return Fail2(failure, "make read-only", "linux.readonlyPaths", path.c_str(), errno);
    }
    if (!AttachOver(tree.get(), target.get(), "attach the read-only bind of", path, failure)) {
      return false;
    }
  }
  return true;
}

bool ApplyMaskedPaths(const ContainerPlan& plan, ChildFailure* failure) {
  if (plan.masked_paths.empty()) return true;
  const UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return Fail(failure, "open", "/", errno);
  UniqueFd null_device;  // opened on the first masked file
  for (const std::string& path : plan.masked_paths) {
    const UniqueFd target(OpenInRoot(root.get(), path.c_str(), O_PATH));
    if (!target.valid()) {
      if (errno == ENOENT) continue;
      return Fail2(failure, "open", "linux.maskedPaths", path.c_str(), errno);
    }
    struct stat st;
    if (::fstat(target.get(), &st) != 0) {
      return Fail2(failure, "stat", "linux.maskedPaths", path.c_str(), errno);
    }
    if (S_ISDIR(st.st_mode)) {
      const UniqueFd fs(::fsopen("tmpfs", FSOPEN_CLOEXEC));
      if (!fs.valid() || ::fsconfig(fs.get(), FSCONFIG_SET_STRING, "source", "tmpfs", 0) != 0 ||
          ::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
        return Fail2(failure, "make the masking tmpfs for", "linux.maskedPaths", path.c_str(),
                     errno);
      }
      const UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY));
      if (!mnt.valid()) {
        return Fail2(failure, "mount tmpfs over", "linux.maskedPaths", path.c_str(), errno);
      }
      if (!AttachOver(mnt.get(), target.get(), "mask directory", path, failure)) return false;
      continue;
    }
    if (!null_device.valid()) {
      null_device.Reset(OpenInRoot(root.get(), "/dev/null", O_PATH, RESOLVE_NO_SYMLINKS));
      struct stat null_st;
      if (!null_device.valid() || ::fstat(null_device.get(), &null_st) != 0) {
        return Fail2(failure, "open /dev/null to mask", "linux.maskedPaths", path.c_str(), errno);
      }
      if (!S_ISCHR(null_st.st_mode) || major(null_st.st_rdev) != 1 || minor(null_st.st_rdev) != 3) {
        return Fail2(failure, "mask with /dev/null: it is not the character device 1:3",
                     "linux.maskedPaths", path.c_str(), 0);
      }
    }
    const UniqueFd tree(
        ::open_tree(null_device.get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
    if (!tree.valid()) {
      return Fail2(failure, "bind /dev/null over", "linux.maskedPaths", path.c_str(), errno);
    }
    if (!AttachOver(tree.get(), target.get(), "mask file", path, failure)) return false;
  }
  return true;
}

}  // namespace bt::executor::runtime
