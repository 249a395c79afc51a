#include "executor/mount/overlay_mount.h"

#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace bt::executor {
namespace {

constexpr std::size_t kMaxMountOptions = 4095;  // one page, less the terminating NUL

Error MountError(std::string_view op, std::string_view path, int err) {
  Error e = ErrnoError(op, path, err);
  if (err == EPERM || err == EACCES) e.code = ErrorCode::kPermissionDenied;
  return e;
}

// The number of threads of this process, from /proc/self/task; nullopt when it cannot be read.
std::optional<std::size_t> ThreadCount() {
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return std::nullopt;
  std::size_t n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n;
}

}  // namespace

Result<void> EnterPrivateMountNamespace() {
  // A thread that exists already would stay in the host's namespace, and whatever it later
  // mounts or starts (a runtime spawned from a oneTBB worker) would miss the build's mounts:
  // a bug to catch here, not in a RUN step's odd failure.
  if (const std::optional<std::size_t> threads = ThreadCount(); threads && *threads != 1) {
    return MakeError(ErrorCode::kInternal,
                     "the private mount namespace must be entered while the process has one "
                     "thread, and it has " + std::to_string(*threads));
  }
  if (::unshare(CLONE_NEWNS) != 0) {
    return MountError("unshare the mount namespace", "", errno);
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    Error e = MountError("make mounts private under", "/", errno);
    if (errno == EINVAL) e.code = ErrorCode::kFailedPrecondition;  // "/" is not a mount point
    return e;
  }
  return {};
}

MountedTree& MountedTree::operator=(MountedTree&& other) noexcept {
  if (this != &other) {
    (void)Unmount();
    path_ = std::exchange(other.path_, std::string());
  }
  return *this;
}

Result<void> DetachHybridUnifiedCgroup() {
  const char* unified = "/sys/fs/cgroup/unified";
  if (::umount2(unified, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return MountError("unmount", unified, errno);
  }
  return {};
}

MountedTree::~MountedTree() { (void)Unmount(); }

Result<void> MountedTree::Unmount() {
  if (path_.empty()) return {};
  if (::umount2(path_.c_str(), MNT_DETACH) != 0 && errno != EINVAL) {
    return MountError("unmount", path_, errno);
  }
  // The mount point is a directory, or an empty file for a bind of a file.
  if (::rmdir(path_.c_str()) != 0 && errno == ENOTDIR) ::unlink(path_.c_str());
  path_.clear();
  return {};
}

Result<MountedTree> MountOverlay(const cache::OverlaySpec& spec, const std::string& mount_point) {
  const bool writable = !spec.upperdir.empty();
  if (spec.lowerdirs.empty() || (!writable && spec.lowerdirs.size() < 2)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "an overlay needs a lower layer, and two without an upper one");
  }
  std::string options = "lowerdir=";
  for (std::size_t i = 0; i < spec.lowerdirs.size(); ++i) {
    if (i > 0) options += ':';
    options += spec.lowerdirs[i];
  }
  if (writable) options += ",upperdir=" + spec.upperdir + ",workdir=" + spec.workdir;
  if (options.size() > kMaxMountOptions) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "a chain of " + std::to_string(spec.lowerdirs.size()) +
                         " layers is too deep to mount (" + std::to_string(options.size()) +
                         " bytes of mount options, at most " +
                         std::to_string(kMaxMountOptions) + ")");
  }
  if (::mkdir(mount_point.c_str(), 0700) != 0) return ErrnoError("mkdir", mount_point, errno);
  MountedTree mounted(mount_point);
  int err = 0;
  const char* failed = nullptr;
  // Relative lowerdirs resolve against this thread's cwd, which must not be the process's.
  std::thread mounter([&] {
    if (::unshare(CLONE_FS) != 0) {
      err = errno, failed = "unshare filesystem attributes for";
    } else if (::chdir(spec.base.c_str()) != 0) {
      err = errno, failed = "chdir to";
    } else if (::mount("overlay", mount_point.c_str(), "overlay", 0, options.c_str()) != 0) {
      err = errno, failed = "mount overlay at";
    }
  });
  mounter.join();
  if (failed != nullptr) {
    ::rmdir(mount_point.c_str());
    mounted = MountedTree();  // nothing to unmount
    return MountError(failed, mount_point, err);
  }
  return mounted;
}

}  // namespace bt::executor
