#include "cache/snapshot/diff_clone.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "cache/snapshot/chain_flatten.h"

namespace bt::cache {
namespace {

// Copies the extended attributes of directory `from` onto directory `to` (both open fds).
Result<void> CopyXattrs(int from, int to, const std::string& rel) {
  ssize_t size = ::flistxattr(from, nullptr, 0);
  if (size < 0) return errno == ENOTSUP ? Result<void>() : ErrnoError("list xattrs", rel, errno);
  std::string names(static_cast<std::size_t>(size), '\0');
  size = ::flistxattr(from, names.data(), names.size());
  if (size < 0) return ErrnoError("list xattrs", rel, errno);
  names.resize(static_cast<std::size_t>(size));
  for (std::size_t pos = 0; pos < names.size();) {
    const std::string name = names.c_str() + pos;
    pos += name.size() + 1;
    if (name.empty()) continue;
    ssize_t n = ::fgetxattr(from, name.c_str(), nullptr, 0);
    if (n < 0) return ErrnoError("read xattr " + name, rel, errno);
    std::string value(static_cast<std::size_t>(n), '\0');
    n = ::fgetxattr(from, name.c_str(), value.data(), value.size());
    if (n < 0) return ErrnoError("read xattr " + name, rel, errno);
    if (::fsetxattr(to, name.c_str(), value.data(), static_cast<std::size_t>(n), 0) != 0) {
      return ErrnoError("set xattr " + name, rel, errno);
    }
  }
  return {};
}

// Owner, mode and times of a directory, applied after its entries (adding entries changes
// its mtime).
Result<void> CopyDirMetadata(int from, int to, const std::string& rel) {
  struct stat st;
  if (::fstat(from, &st) != 0) return ErrnoError("stat", rel, errno);
  if (::fchown(to, st.st_uid, st.st_gid) != 0) return ErrnoError("chown", rel, errno);
  if (::fchmod(to, st.st_mode & 07777) != 0) return ErrnoError("chmod", rel, errno);
  BT_TRY(CopyXattrs(from, to, rel));
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::futimens(to, times) != 0) return ErrnoError("set times of", rel, errno);
  return {};
}

Result<void> CloneDir(int from, int to, const std::string& rel) {
  BT_ASSIGN_OR_RETURN(const std::vector<std::string> names, ListDirNames(from, rel));
  for (const std::string& name : names) {
    const std::string child = rel.empty() ? name : rel + "/" + name;
    struct stat st;
    if (::fstatat(from, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoError("stat", child, errno);
    }
    if (!S_ISDIR(st.st_mode)) {
      if (::linkat(from, name.c_str(), to, name.c_str(), 0) != 0) {
        return ErrnoError("link", child, errno);
      }
      continue;
    }
    if (::mkdirat(to, name.c_str(), 0700) != 0) return ErrnoError("mkdir", child, errno);
    UniqueFd sub_from(::openat(from, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub_from.valid()) return ErrnoError("open", child, errno);
    UniqueFd sub_to(::openat(to, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub_to.valid()) return ErrnoError("open", child, errno);
    BT_TRY(CloneDir(sub_from.get(), sub_to.get(), child));
    BT_TRY(CopyDirMetadata(sub_from.get(), sub_to.get(), child));
  }
  return {};
}

}  // namespace

Result<void> CloneDiff(const std::string& src, const std::string& dest) {
  UniqueFd from(::open(src.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!from.valid()) return ErrnoError("open", src, errno);
  UniqueFd to(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!to.valid()) return ErrnoError("open", dest, errno);
  BT_TRY(CloneDir(from.get(), to.get(), ""));
  return CopyDirMetadata(from.get(), to.get(), ".");
}

}  // namespace bt::cache
