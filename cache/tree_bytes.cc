#include "cache/tree_bytes.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace bt::cache {
namespace {

Result<std::uint64_t> Walk(int dir_fd, const std::string& shown) {
  // fdopendir owns its fd: give it a duplicate so the caller's stays open.
  const int own = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (own < 0) return ErrnoError("open", shown, errno);
  DIR* dir = ::fdopendir(own);
  if (dir == nullptr) {
    ::close(own);
    return ErrnoError("read", shown, errno);
  }
  std::uint64_t total = 0;
  Result<std::uint64_t> result = total;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(::dirfd(dir), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // removed meanwhile
      result = ErrnoError("stat", shown + "/" + name, errno);
      break;
    }
    if (S_ISREG(st.st_mode)) {
      total += static_cast<std::uint64_t>(st.st_size);
    } else if (S_ISDIR(st.st_mode)) {
      const UniqueFd sub(::openat(::dirfd(dir), name.c_str(),
                                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) {
        result = ErrnoError("open", shown + "/" + name, errno);
        break;
      }
      Result<std::uint64_t> below = Walk(sub.get(), shown + "/" + name);
      if (!below) {
        result = std::move(below).error();
        break;
      }
      total += *below;
    }
  }
  ::closedir(dir);
  if (!result) return result;
  return total;
}

}  // namespace

Result<std::uint64_t> TreeBytes(const std::string& dir) {
  const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open", dir, errno);
  return Walk(fd.get(), dir);
}

}  // namespace bt::cache
