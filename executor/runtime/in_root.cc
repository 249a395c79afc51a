#include "executor/runtime/in_root.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "base/unique_fd.h"
#include "executor/runtime/syscalls.h"

namespace bt::executor::runtime {

std::string LexicallyClean(std::string_view absolute_path) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < absolute_path.size()) {
    while (i < absolute_path.size() && absolute_path[i] == '/') ++i;
    std::size_t j = i;
    while (j < absolute_path.size() && absolute_path[j] != '/') ++j;
    const std::string_view part = absolute_path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j;
  }
  std::string out;
  for (const std::string_view part : parts) out.append("/").append(part);
  return out.empty() ? "/" : out;
}

int OpenInRoot(int root_fd, const char* path, int flags, std::uint64_t extra_resolve) {
  int fd;
  do {
    fd = sys::OpenAt2(root_fd, path, static_cast<std::uint64_t>(flags) | O_CLOEXEC,
                      RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra_resolve);
  } while (fd < 0 && errno == EAGAIN);  // a concurrent rename elsewhere; retrying is safe
  return fd;
}

const char* SplitParent(const char* path, char* parent, std::size_t parent_size) {
  const char* slash = std::strrchr(path, '/');
  if (slash == nullptr || slash[1] == '\0') return nullptr;
  const std::size_t len = slash == path ? 1 : static_cast<std::size_t>(slash - path);
  if (len + 1 > parent_size) return nullptr;
  std::memcpy(parent, path, len);
  parent[len] = '\0';
  return slash + 1;
}

int MkdirAllInRoot(int root_fd, const char* path) {
  int fd = OpenInRoot(root_fd, path, O_PATH | O_DIRECTORY);
  if (fd >= 0 || errno != ENOENT) return fd;
  char prefix[PATH_MAX];
  const std::size_t len = std::strlen(path);
  if (len >= sizeof prefix) {
    errno = ENAMETOOLONG;
    return -1;
  }
  UniqueFd dir(OpenInRoot(root_fd, "/", O_PATH | O_DIRECTORY));
  if (!dir.valid()) return -1;
  std::size_t i = 0;
  while (i < len) {
    while (i < len && path[i] == '/') ++i;
    if (i == len) break;
    std::size_t j = i;
    while (j < len && path[j] != '/') ++j;
    std::memcpy(prefix, path, j);
    prefix[j] = '\0';
    int next = OpenInRoot(root_fd, prefix, O_PATH | O_DIRECTORY);
    if (next < 0 && errno == ENOENT) {
      char name[NAME_MAX + 1];
      if (j - i > NAME_MAX) {
        errno = ENAMETOOLONG;
        return -1;
      }
      std::memcpy(name, path + i, j - i);
      name[j - i] = '\0';
      // `dir` is the in-root resolution of the parent, so the new directory is inside the
      // root; mkdirat never follows a symlink in its last component (EEXIST instead).
      if (::mkdirat(dir.get(), name, 0755) != 0 && errno != EEXIST) return -1;
      next = OpenInRoot(root_fd, prefix, O_PATH | O_DIRECTORY);
      if (next < 0 && errno == ENOENT) errno = EEXIST;  // a dangling symlink stays untouched
    }
    if (next < 0) return -1;
    dir.Reset(next);
    i = j;
  }
  return dir.Release();
}

int OpenOrCreateInRoot(int root_fd, const char* path, bool as_file, std::uint64_t extra_resolve) {
  const int fd = OpenInRoot(root_fd, path, O_PATH, extra_resolve);
  if (fd >= 0 || errno != ENOENT) return fd;
  if (!as_file) {
    UniqueFd created(MkdirAllInRoot(root_fd, path));
    if (!created.valid()) return -1;
    return OpenInRoot(root_fd, path, O_PATH, extra_resolve);
  }
  char parent[PATH_MAX];
  const char* name = SplitParent(path, parent, sizeof parent);
  if (name == nullptr) {
    errno = EINVAL;
    return -1;
  }
  UniqueFd dir(MkdirAllInRoot(root_fd, parent));
  if (!dir.valid()) return -1;
  const UniqueFd created(
      ::openat(dir.get(), name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!created.valid() && errno != EEXIST) return -1;
  return OpenInRoot(root_fd, path, O_PATH, extra_resolve);
}

}  // namespace bt::executor::runtime
