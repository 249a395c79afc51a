#include "executor/mount/bind_mount.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "cache/snapshot/in_root_path.h"
#include "executor/fileop/root_dir.h"

namespace bt::executor {

Result<MountedTree> BindInRoot(const std::string& root, std::string_view path,
                               const std::string& mount_point) {
  BT_ASSIGN_OR_RETURN(RootDir dir, RootDir::Open(root, "mount source"));
  BT_ASSIGN_OR_RETURN(const std::string canonical, dir.Resolve(path, cache::FinalComponent::kFollow));
  // Opened component by component with every symlink refused: the canonical path has none,
  // so a link that appeared since the resolution fails the open instead of leading outside.
  cache::InRootOpenOptions open;
  open.flags = O_PATH;
  open.final_component = cache::FinalComponent::kNoFollow;
  open.symlinks = cache::SymlinkPolicy::kRefuse;
  Result<UniqueFd> fd = cache::OpenInRoot(dir.fd(), canonical, open);
  if (!fd) {
    if (fd.error().sys_errno == ENOENT) {
      return MakeError(ErrorCode::kNotFound, dir.ShownPath(canonical) + ": not found");
    }
    return std::move(fd).error().Wrap("open mount source " + dir.ShownPath(canonical));
  }
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return ErrnoError("stat", dir.ShownPath(canonical), errno);
  // The last component can have become a symlink since the resolution (O_PATH|O_NOFOLLOW then
  // opens the link itself). Bound, the link would be followed by whoever binds our mount
  // point again: runc 1.1.5 then mounted the host's / (tests/e2e/run_adversarial_test.sh,
  // case 9's race). Only what the resolution saw, a directory or a file, is bound.
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     dir.ShownPath(canonical) +
                         ": changed while being mounted (now neither a directory nor a file)");
  }
  if (S_ISDIR(st.st_mode)) {
    if (::mkdir(mount_point.c_str(), 0700) != 0) return ErrnoError("mkdir", mount_point, errno);
  } else {
    const UniqueFd target(::open(mount_point.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!target.valid()) return ErrnoError("create", mount_point, errno);
  }
  MountedTree mounted(mount_point);  // removes the mount point if the bind fails
  const std::string via = "/proc/self/fd/" + std::to_string(fd->get());
  if (::mount(via.c_str(), mount_point.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    const int err = errno;
    return ErrnoError("bind mount", dir.ShownPath(canonical), err);
  }
  return mounted;
}

Result<MountedTree> MountTmpfs(const std::string& mount_point, std::uint32_t mode,
                               std::uint64_t size_bytes) {
  if (::mkdir(mount_point.c_str(), 0700) != 0) return ErrnoError("mkdir", mount_point, errno);
  MountedTree mounted(mount_point);
  char options[64];
  std::snprintf(options, sizeof options, "mode=%o,size=%llu", mode,
                static_cast<unsigned long long>(size_bytes));
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options) != 0) {
    return ErrnoError("mount tmpfs", mount_point, errno);
  }
  return mounted;
}

}  // namespace bt::executor
