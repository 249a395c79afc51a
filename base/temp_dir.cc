#include "base/temp_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "base/unique_fd.h"

namespace bt {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// A directory we descended into, remembered so the climb back through ".." can prove it
// arrived where it started: if someone moved the tree meanwhile we stop instead of
// removing entries of an unrelated directory.
struct Level {
  std::string name;  // entry name inside the parent
  dev_t parent_dev;
  ino_t parent_ino;
};

std::string Join(const std::string& dir, const std::string& name) { return dir + "/" + name; }

// Opens `name` in `parent` as a directory without following a symlink. A directory its
// owner cannot read or search (a read-only snapshot, chmod 000 by a RUN step) is made 0700
// first; the chmod goes through an O_PATH descriptor so it cannot land on a symlink target.
Result<UniqueFd> OpenDirNoFollow(int parent, const std::string& name, const std::string& shown) {
  UniqueFd fd(::openat(parent, name.c_str(), kDirFlags));
  if (!fd.valid() && errno == EACCES) {
    UniqueFd path_fd(::openat(parent, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (path_fd.valid()) {
      const std::string proc = "/proc/self/fd/" + std::to_string(path_fd.get());
      if (::chmod(proc.c_str(), 0700) == 0) fd.Reset(::openat(parent, name.c_str(), kDirFlags));
    }
    if (!fd.valid()) errno = EACCES;
  }
  if (!fd.valid()) return ErrnoError("open directory", shown, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) == 0 && (st.st_mode & 0700) != 0700) {
    // Best effort: when we do not own it, the unlinks below report the real error.
    (void)::fchmod(fd.get(), (st.st_mode & 07777) | 0700);
  }
  return fd;
}

// Unlinks every non-directory entry of `dir_fd` and returns the name of one subdirectory,
// or nullopt when the directory is now empty.
Result<std::optional<std::string>> UnlinkFilesFindSubdir(int dir_fd, const std::string& shown) {
  const int dup_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return ErrnoError("dup", shown, errno);
  DIR* dir = ::fdopendir(dup_fd);
  if (dir == nullptr) {
    const int err = errno;
    UniqueFd owned(dup_fd);
    return ErrnoError("fdopendir", shown, err);
  }
  // The duplicate shares the file offset with dir_fd, which an earlier scan moved.
  ::rewinddir(dir);
  std::optional<std::string> subdir;
  Result<std::optional<std::string>> result = subdir;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      if (errno != 0) result = ErrnoError("read directory", shown, errno);
      break;
    }
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN) {
      struct stat st;
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;
        result = ErrnoError("stat", Join(shown, name), errno);
        break;
      }
      is_dir = S_ISDIR(st.st_mode);
    }
    if (!is_dir) {
      if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) continue;
      if (errno != EISDIR) {
        result = ErrnoError("unlink", Join(shown, name), errno);
        break;
      }
    }
    result = std::optional<std::string>(name);
    break;
  }
  ::closedir(dir);
  return result;
}

}  // namespace

Result<void> RemoveTree(std::string_view path_view) {
  std::string path(path_view);
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const std::size_t slash = path.rfind('/');
  const std::string parent =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty() || base == "." || base == "..") {
    return MakeError(ErrorCode::kInvalidArgument, "remove tree " + path + ": not a removable name");
  }
  // The parent may legitimately be reached through symlinks (/tmp on some systems); only
  // what lies below `path` is protected.
  UniqueFd top(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!top.valid()) {
    if (errno == ENOENT) return {};
    return ErrnoError("open directory", parent, errno);
  }
  struct stat st;
  if (::fstatat(top.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return ErrnoError("stat", path, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(top.get(), base.c_str(), 0) != 0 && errno != ENOENT) {
      return ErrnoError("unlink", path, errno);
    }
    return {};
  }

  BT_ASSIGN_OR_RETURN(UniqueFd cur, OpenDirNoFollow(top.get(), base, path));
  std::vector<Level> stack;  // from `path` down to cur; one fd open whatever the depth
  std::string shown = path;
  for (;;) {
    BT_ASSIGN_OR_RETURN(std::optional<std::string> sub, UnlinkFilesFindSubdir(cur.get(), shown));
    if (sub.has_value()) {
      Result<UniqueFd> child = OpenDirNoFollow(cur.get(), *sub, Join(shown, *sub));
      if (!child.has_value()) {
        const int err = child.error().sys_errno;
        // Replaced by a symlink or file since the scan: remove the entry itself.
        if (err != ELOOP && err != ENOTDIR) return Unexpected(std::move(child).error());
        if (::unlinkat(cur.get(), sub->c_str(), 0) != 0 && errno != ENOENT) {
          return ErrnoError("unlink", Join(shown, *sub), errno);
        }
        continue;
      }
      struct stat here;
      if (::fstat(cur.get(), &here) != 0) return ErrnoError("stat", shown, errno);
      stack.push_back(Level{*sub, here.st_dev, here.st_ino});
      shown = Join(shown, *sub);
      cur = std::move(*child);
      continue;
    }
    if (stack.empty()) break;
    UniqueFd up(::openat(cur.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!up.valid()) return ErrnoError("open directory", shown + "/..", errno);
    struct stat up_st;
    if (::fstat(up.get(), &up_st) != 0) return ErrnoError("stat", shown + "/..", errno);
    const Level level = stack.back();
    if (up_st.st_dev != level.parent_dev || up_st.st_ino != level.parent_ino) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "remove tree " + path + ": " + shown + " was moved during removal");
    }
    shown.resize(shown.size() - level.name.size() - 1);
    if (::unlinkat(up.get(), level.name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      return ErrnoError("remove directory", Join(shown, level.name), errno);
    }
    stack.pop_back();
    cur = std::move(up);
  }
  cur.Reset();
  if (::unlinkat(top.get(), base.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return ErrnoError("remove directory", path, errno);
  }
  return {};
}

Result<TempDir> TempDir::Create(std::string_view parent, std::string_view prefix) {
  if (prefix.find('/') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "create temp dir: prefix " + std::string(prefix) + " contains '/'");
  }
  std::string dir(parent);
  if (dir.empty()) {
    const char* env = std::getenv("TMPDIR");
    dir = (env != nullptr && env[0] != '\0') ? env : "/tmp";
  }
  std::string tmpl = dir + "/" + std::string(prefix) + "XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return ErrnoError("create temp dir", tmpl, errno);
  return TempDir(std::move(tmpl));
}

TempDir::TempDir(TempDir&& other) noexcept
    : path_(std::exchange(other.path_, std::string())), keep_(other.keep_) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    if (!keep_ && !path_.empty()) (void)RemoveTree(path_);
    path_ = std::exchange(other.path_, std::string());
    keep_ = other.keep_;
  }
  return *this;
}

TempDir::~TempDir() {
  // No logger in base/ yet and a destructor cannot fail: callers that must know call
  // Remove() and check its result.
  if (!keep_ && !path_.empty()) (void)RemoveTree(path_);
}

Result<void> TempDir::Remove() {
  if (path_.empty()) return {};
  BT_TRY(RemoveTree(path_));
  path_.clear();
  return {};
}

}  // namespace bt
