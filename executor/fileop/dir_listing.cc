#include "executor/fileop/dir_listing.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "executor/fileop/path_error.h"

namespace bt::executor {

Result<std::vector<std::string>> ListDirectory(int dir_fd, const std::string& shown) {
  // A fresh open description: fdopendir would share (and move) the caller's offset.
  const int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return PathError("open", shown, errno);
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    const int err = errno;
    ::close(fd);
    return PathError("readdir", shown, err);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, ::closedir);
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    struct dirent* d = ::readdir(dir);
    if (d == nullptr) {
      if (errno != 0) return PathError("readdir", shown, errno);
      break;
    }
    if (std::strcmp(d->d_name, ".") != 0 && std::strcmp(d->d_name, "..") != 0) {
      names.emplace_back(d->d_name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace bt::executor
