#include "executor/sandbox/special_dirs.h"

#include <sys/stat.h>

#include <string>

namespace bt::executor {

Result<void> CheckSpecialDirectories(const RootDir& rootfs) {
  for (const char* name : {"proc", "dev", "sys"}) {
    BT_ASSIGN_OR_RETURN(const std::optional<struct stat> st, rootfs.Lstat(name));
    if (!st || S_ISDIR(st->st_mode)) continue;
    return MakeError(ErrorCode::kFailedPrecondition,
                     std::string("the image's /") + name + " is " +
                         (S_ISLNK(st->st_mode) ? "a symlink" : "not a directory") +
                         ": a container's /" + name +
                         " is mounted there, so RUN refuses this root filesystem");
  }
  return {};
}

}  // namespace bt::executor
