#include "cache/snapshot/diff_changes.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/unique_fd.h"

namespace bt::cache {
namespace {

bool IsWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0;
}

bool IsOpaque(int dir_fd) {
  char value[2] = {};
  const ssize_t n = ::fgetxattr(dir_fd, "trusted.overlay.opaque", value, sizeof(value));
  return n == 1 && value[0] == 'y';
}

// Appends the changes below the open directory `fd` (whose relative path is `prefix`).
Result<void> Walk(int fd, const std::string& prefix, const std::string& display,
                  std::vector<Change>& out) {
  UniqueFd dup_fd(::dup(fd));
  if (!dup_fd.valid()) return ErrnoError("dup", display, errno);
  DIR* d = ::fdopendir(dup_fd.Release());
  if (!d) return ErrnoError("opendir", display, errno);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  const int read_errno = errno;
  ::closedir(d);
  if (read_errno != 0) return ErrnoError("readdir", display, read_errno);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    Change c;
    c.path = prefix.empty() ? name : prefix + "/" + name;
    if (::fstatat(fd, name.c_str(), &c.st, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoError("lstat", display + "/" + name, errno);
    }
    if (IsWhiteout(c.st)) {
      c.kind = ChangeKind::kDelete;
      out.push_back(std::move(c));
      continue;
    }
    if (!S_ISDIR(c.st.st_mode)) {
      out.push_back(std::move(c));
      continue;
    }
    UniqueFd child(::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!child.valid()) return ErrnoError("open", display + "/" + name, errno);
    if (IsOpaque(child.get())) c.kind = ChangeKind::kOpaqueDir;
    const std::string path = c.path;
    out.push_back(std::move(c));
    BT_TRY(Walk(child.get(), path, display + "/" + name, out));
  }
  return {};
}

}  // namespace

Result<std::vector<Change>> ListChanges(const std::string& diff_dir) {
  UniqueFd fd(::open(diff_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open", diff_dir, errno);
  std::vector<Change> out;
  BT_TRY(Walk(fd.get(), "", diff_dir, out));
  return out;
}

}  // namespace bt::cache
