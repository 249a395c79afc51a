#include "executor/runtime/mount_steps.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "base/unique_fd.h"
#include "executor/runtime/in_root.h"

namespace bt::executor::runtime {
namespace {

// The first error line the kernel logged on a filesystem context ("e tmpfs: Bad value for
// 'mode'"), so a refused option is named in the error.
void ContextMessage(int fs_fd, char* out, std::size_t size) {
  out[0] = '\0';
  char buf[160];
  const ssize_t n = ::read(fs_fd, buf, sizeof buf - 1);
  if (n <= 0) return;
  buf[n] = '\0';
  if (char* nl = std::strchr(buf, '\n')) *nl = '\0';
  std::snprintf(out, size, "(%.*s)", static_cast<int>(size) - 3, buf);
}

bool FailStep(ChildFailure* failure, const char* stage, const MountStep& step, int err,
              const char* extra = "") {
  char detail[sizeof failure->detail];
  std::snprintf(detail, sizeof detail, "%s %s%s%s", step.field.c_str(), step.destination.c_str(),
                extra[0] ? " " : "", extra);
  return Fail(failure, stage, detail, err);
}

bool Attach(int root_fd, int mount_fd, const char* destination, bool as_file,
            std::uint64_t extra_resolve, const MountStep& step, ChildFailure* failure) {
  const UniqueFd target(OpenOrCreateInRoot(root_fd, destination, as_file, extra_resolve));
  if (!target.valid()) return FailStep(failure, "create or open the mount point", step, errno);
  if (::move_mount(mount_fd, "", target.get(), "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0) {
    return FailStep(failure, "attach the mount", step, errno);
  }
  return true;
}

bool SetAttributes(int mount_fd, unsigned set, unsigned clear, unsigned int flags,
                   const MountStep& step, ChildFailure* failure) {
  if (set == 0 && clear == 0) return true;
  mount_attr attr = {};
  attr.attr_set = set;
  attr.attr_clr = clear;
  if (::mount_setattr(mount_fd, "", AT_EMPTY_PATH | flags, &attr, sizeof attr) != 0) {
    return FailStep(failure, "set mount attributes (ro, nosuid, nodev, noexec, atime)", step,
                    errno);
  }
  return true;
}

bool Bind(int root_fd, const char* source, const char* destination, bool recursive, bool as_file,
          unsigned set, unsigned clear, const MountStep& step, ChildFailure* failure) {
  const UniqueFd tree(::open_tree(
      AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0)));
  if (!tree.valid()) return FailStep(failure, "open the bind source", step, errno, source);
  // Like runc, the attributes apply to the top mount of an rbind only; in a user namespace
  // the kernel keeps locked attributes (nosuid, nodev, ...) because attr_clr never names them
  // unless the config asked for suid/dev explicitly.
  if (!SetAttributes(tree.get(), set, clear, 0, step, failure)) return false;
  return Attach(root_fd, tree.get(), destination, as_file, 0, step, failure);
}

bool NewFilesystem(int root_fd, const char* fstype, const char* destination, unsigned attrs,
                   const MountStep& step, ChildFailure* failure, bool* refused) {
  *refused = false;
  const UniqueFd fs(::fsopen(fstype, FSOPEN_CLOEXEC));
  if (!fs.valid()) {
    *refused = errno == EPERM;
    return FailStep(failure, "open a filesystem context for", step, errno, fstype);
  }
  char message[200];
  if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "source",
                 step.source.empty() ? fstype : step.source.c_str(), 0) != 0) {
    ContextMessage(fs.get(), message, sizeof message);
    return FailStep(failure, "set the mount source", step, errno, message);
  }
  if (fstype == step.fstype) {  // the data options belong to the configured type only
    for (const auto& [key, value] : step.options.data) {
      const int rc = value.empty()
                         ? ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0)
                         : ::fsconfig(fs.get(), FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0);
      if (rc != 0) {
        ContextMessage(fs.get(), message, sizeof message);
        return FailStep(failure, "set a mount option", step, errno, message);
      }
    }
  } else if (std::strcmp(fstype, "tmpfs") == 0) {
    if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "mode", "755", 0) != 0) {
      return FailStep(failure, "set a mount option", step, errno, "mode=755");
    }
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    *refused = errno == EPERM || errno == EBUSY;
    ContextMessage(fs.get(), message, sizeof message);
    return FailStep(failure, "create the filesystem", step, errno, message);
  }
  const UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, attrs));
  if (!mnt.valid()) return FailStep(failure, "make the mount", step, errno);
  return Attach(root_fd, mnt.get(), destination, false, step.no_symlinks ? RESOLVE_NO_SYMLINKS : 0,
                step, failure);
}

bool CgroupV1(int root_fd, const MountStep& step, ChildFailure* failure) {
  bool refused = false;
  constexpr unsigned kTmpfsAttrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  if (!NewFilesystem(root_fd, "tmpfs", step.destination.c_str(), kTmpfsAttrs, step, failure,
                     &refused)) {
    return false;
  }
  const unsigned set = step.options.attr_set | kTmpfsAttrs;
  for (const CgroupBind& bind : step.cgroup_binds) {
    if (!Bind(root_fd, bind.source.c_str(), bind.destination.c_str(), true, false, set,
              step.options.attr_clr, step, failure)) {
      return false;
    }
  }
  for (const CgroupLink& link : step.cgroup_links) {
    char parent[4096];
    const char* name = SplitParent(link.path.c_str(), parent, sizeof parent);
    const UniqueFd dir(name == nullptr ? -1 : MkdirAllInRoot(root_fd, parent));
    if (!dir.valid()) return FailStep(failure, "open the cgroup mount", step, errno);
    if (::symlinkat(link.target.c_str(), dir.get(), name) != 0 && errno != EEXIST) {
      return FailStep(failure, "link a merged cgroup hierarchy", step, errno, link.path.c_str());
    }
  }
  return true;
}

bool SetPropagation(int root_fd, const MountStep& step, ChildFailure* failure) {
  if (step.options.propagation == 0) return true;
  const UniqueFd mounted(OpenInRoot(root_fd, step.destination.c_str(), O_PATH));
  if (!mounted.valid()) return FailStep(failure, "reopen the mount", step, errno);
  mount_attr attr = {};
  attr.propagation = step.options.propagation & ~static_cast<unsigned long>(MS_REC);
  const unsigned int flags = (step.options.propagation & MS_REC) ? AT_RECURSIVE : 0;
  if (::mount_setattr(mounted.get(), "", AT_EMPTY_PATH | flags, &attr, sizeof attr) != 0) {
    return FailStep(failure, "set mount propagation", step, errno);
  }
  return true;
}

}  // namespace

bool PerformMountStep(int root_fd, const MountStep& step, ChildFailure* failure) {
  const char* dest = step.destination.c_str();
  bool ok = false;
  switch (step.kind) {
    case MountKind::kBind:
      ok = Bind(root_fd, step.source.c_str(), dest, step.options.recursive, step.file_target,
                step.options.attr_set, step.options.attr_clr, step, failure);
      break;
    case MountKind::kFilesystem: {
      unsigned attrs = step.options.attr_set;
      if (step.defer_read_only) attrs &= ~static_cast<unsigned>(MOUNT_ATTR_RDONLY);
      bool refused = false;
      ok = NewFilesystem(root_fd, step.fstype.c_str(), dest, attrs, step, failure, &refused);
      if (!ok && refused && !step.fallback_bind.empty()) {
        // runc's mountCgroupV2: without a cgroup namespace of its own a user namespace may not
        // mount cgroup2; the host's hierarchy is bound instead (read-only when asked).
        ok = Bind(root_fd, step.fallback_bind.c_str(), dest, true, false, step.options.attr_set,
                  step.options.attr_clr, step, failure);
      }
      break;
    }
    case MountKind::kCgroupV1:
      ok = CgroupV1(root_fd, step, failure);
      break;
  }
  return ok && SetPropagation(root_fd, step, failure);
}

bool MakeMountReadOnly(int root_fd, const char* path, const char* field, ChildFailure* failure) {
  const UniqueFd mounted(OpenInRoot(root_fd, path, O_PATH));
  if (!mounted.valid()) return Fail2(failure, "reopen the mount", field, path, errno);
  mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(mounted.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
    return Fail2(failure, "make the mount read-only", field, path, errno);
  }
  return true;
}

}  // namespace bt::executor::runtime
