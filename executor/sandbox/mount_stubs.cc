#include "executor/sandbox/mount_stubs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bt::executor {
namespace {

// Whether the directory open at `fd` has no entries besides . and ..
bool EmptyDir(int fd) {
  const int dup_fd = ::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0) return false;
  DIR* dir = ::fdopendir(dup_fd);
  if (dir == nullptr) {
    ::close(dup_fd);
    return false;
  }
  bool empty = true;
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") {
      empty = false;
      break;
    }
  }
  ::closedir(dir);
  return empty;
}

}  // namespace

Result<MountStubs> MountStubs::Note(const RootDir& rootfs,
                                    const std::vector<std::string>& destinations) {
  MountStubs stubs;
  for (const std::string& dest : destinations) {
    // A destination that cannot be resolved (a file on the way) is not a stub the runtime
    // can create either: the runtime will fail the step with its own message.
    Result<std::string> canonical = rootfs.Resolve(dest, cache::FinalComponent::kFollow);
    if (!canonical || canonical->empty()) continue;
    // The missing path and each missing parent above it, innermost first, so that removal
    // empties a parent before it comes to it.
    std::string path = *canonical;
    while (!path.empty()) {
      BT_ASSIGN_OR_RETURN(const std::optional<struct stat> st, rootfs.Lstat(path));
      if (st) break;
      stubs.canonical_.push_back(path);
      path = SplitCanonical(path).first;
    }
  }
  return stubs;
}

Result<void> MountStubs::Remove(const RootDir& rootfs) const {
  for (const std::string& canonical : canonical_) {
    const auto [parent, name] = SplitCanonical(canonical);
    // The parent must still be the directory it was: re-resolved in-root to the same
    // canonical path, and opened without following any symlink on the way.
    Result<std::string> now = rootfs.Resolve(parent, cache::FinalComponent::kFollow);
    if (!now || *now != parent) continue;
    Result<UniqueFd> dir = rootfs.OpenDir(parent);
    if (!dir) continue;
    struct stat parent_st;
    struct stat st;
    if (::fstat(dir->get(), &parent_st) != 0) continue;
    if (::fstatat(dir->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    int flags = 0;
    if (S_ISDIR(st.st_mode)) {
      const UniqueFd sub(::openat(dir->get(), name.c_str(),
                                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid() || !EmptyDir(sub.get())) continue;
      flags = AT_REMOVEDIR;
    } else if (!S_ISREG(st.st_mode) || st.st_size != 0) {
      continue;
    }
    if (::unlinkat(dir->get(), name.c_str(), flags) != 0) continue;
    // Restore the parent's times (moby/buildkit#3148: reproducible layers).
    const struct timespec times[2] = {parent_st.st_atim, parent_st.st_mtim};
    ::futimens(dir->get(), times);
  }
  return {};
}

}  // namespace bt::executor
