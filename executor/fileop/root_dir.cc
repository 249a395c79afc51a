#include "executor/fileop/root_dir.h"

#include "executor/fileop/dir_listing.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>

#include "executor/fileop/go_path.h"
#include "executor/fileop/path_error.h"

namespace bt::executor {
namespace {

constexpr int kMaxLinks = 255;  // continuity's walkLink gives up after 255 links

}  // namespace

std::pair<std::string, std::string> SplitCanonical(std::string_view canonical) {
  const size_t slash = canonical.rfind('/');
  if (slash == std::string_view::npos) return {"", std::string(canonical)};
  return {std::string(canonical.substr(0, slash)), std::string(canonical.substr(slash + 1))};
}

std::string RootDir::ShownPath(std::string_view canonical) const {
  if (shown_as_.empty() || shown_as_ == "/") return Shown(canonical);
  return canonical.empty() ? shown_as_ : shown_as_ + "/" + std::string(canonical);
}

Result<RootDir> RootDir::Open(const std::string& path, std::string_view what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return PathError("open", what, errno);
  }
  return RootDir(UniqueFd(fd));
}

Result<std::string> RootDir::Resolve(std::string_view path,
                                     cache::FinalComponent final_component) const {
  // continuity's fs.RootPath, walked with fds: each existing component is looked at with
  // lstat relative to its directory, a symlink's target is spliced into what is left (an
  // absolute one from the root), `..` pops back but never above the root. Below a missing
  // component the rest is kept as written; `..` back out of it resumes the walk.
  std::deque<std::string> queue;
  for (std::string_view part : cache::SplitPath(path)) queue.emplace_back(part);
  std::vector<std::string> out;
  std::vector<UniqueFd> dirs;  // one per element of `out`; invalid below a missing one
  int links = 0;
  const auto joined = [&](std::string_view extra) {
    std::string p;
    for (const std::string& c : out) p += (p.empty() ? "" : "/") + c;
    if (!extra.empty()) p += (p.empty() ? "" : "/") + std::string(extra);
    return p;
  };
  while (!queue.empty()) {
    std::string c = std::move(queue.front());
    queue.pop_front();
    if (c == "..") {
      if (!out.empty()) {
        out.pop_back();
        dirs.pop_back();
      }
      continue;
    }
    const bool last = queue.empty();
    const int parent = dirs.empty() ? fd_.get() : dirs.back().get();
    if (parent < 0) {  // below a missing component
      out.push_back(std::move(c));
      dirs.emplace_back();
      continue;
    }
    struct stat st;
    if (::fstatat(parent, c.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) return PathError("lstat", ShownPath(joined(c)), errno);
      out.push_back(std::move(c));
      dirs.emplace_back();
      continue;
    }
    if (S_ISLNK(st.st_mode) && (!last || final_component == cache::FinalComponent::kFollow)) {
      if (++links > kMaxLinks) return PathError("lstat", ShownPath(joined(c)), ELOOP);
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      const ssize_t n = ::readlinkat(parent, c.c_str(), target.data(), target.size());
      if (n < 0) return PathError("readlink", ShownPath(joined(c)), errno);
      target.resize(static_cast<size_t>(n));
      if (!target.empty() && target[0] == '/') {
        out.clear();
        dirs.clear();
      }
      std::vector<std::string_view> parts = cache::SplitPath(target);
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) queue.emplace_front(*it);
      continue;
    }
    if (!last) {
      if (!S_ISDIR(st.st_mode)) {
        // What lstat of the next component says, as RootPath reports it.
        Error e = PathError("lstat", ShownPath(joined(c + "/" + queue.front())), ENOTDIR);
        e.code = ErrorCode::kFailedPrecondition;
        return e;
      }
      const int fd = ::openat(parent, c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return PathError("open", ShownPath(joined(c)), errno);
      dirs.emplace_back(fd);
    } else {
      dirs.emplace_back();
    }
    out.push_back(std::move(c));
  }
  return joined("");
}

Result<UniqueFd> RootDir::OpenDir(std::string_view canonical) const {
  cache::InRootOpenOptions open_dir;
  open_dir.flags = O_RDONLY | O_DIRECTORY;
  open_dir.final_component = cache::FinalComponent::kNoFollow;
  open_dir.symlinks = cache::SymlinkPolicy::kRefuse;
  auto fd = cache::OpenInRoot(fd_.get(), canonical, open_dir);
  if (!fd) {
    // OpenInRoot names the path as given (relative); show the in-root form.
    const int err = fd.error().sys_errno;
    return PathError("open", ShownPath(canonical), err);
  }
  return fd;
}

Result<std::optional<struct stat>> RootDir::Lstat(std::string_view canonical) const {
  struct stat st;
  if (canonical.empty()) {
    if (::fstat(fd_.get(), &st) != 0) return PathError("lstat", "/", errno);
    return std::optional<struct stat>(st);
  }
  auto [parent, base] = SplitCanonical(canonical);
  auto dir = OpenDir(parent);
  if (!dir) {
    const int err = dir.error().sys_errno;
    if (err == ENOENT || err == ENOTDIR) return std::optional<struct stat>();
    return Unexpected(std::move(dir).error());
  }
  if (::fstatat(dir->get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return std::optional<struct stat>();
    return PathError("lstat", ShownPath(canonical), errno);
  }
  if (Hidden(canonical, S_ISDIR(st.st_mode))) return std::optional<struct stat>();
  return std::optional<struct stat>(st);
}

bool RootDir::Hidden(std::string_view canonical, bool is_dir) const {
  if (hidden_ == nullptr || canonical.empty() || !hidden_->Excluded(canonical)) return false;
  return !(is_dir && hidden_->MayMatchInside(canonical));
}

Result<std::vector<std::string>> RootDir::ListVisible(int dir_fd, std::string_view canonical) const {
  BT_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(dir_fd, ShownPath(canonical)));
  if (hidden_ == nullptr) return names;
  std::vector<std::string> visible;
  visible.reserve(names.size());
  for (std::string& name : names) {
    const std::string child = canonical.empty() ? name : std::string(canonical) + "/" + name;
    if (hidden_->Excluded(child)) {
      struct stat st;
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (Hidden(child, S_ISDIR(st.st_mode))) continue;
    }
    visible.push_back(std::move(name));
  }
  return visible;
}

Result<void> RootDir::MkdirAll(std::string_view canonical, const NewDirs& how,
                               std::vector<std::string>* created) const {
  int dup = ::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return PathError("dup", "/", errno);
  UniqueFd cur(dup);
  std::string prefix;
  for (std::string_view part : cache::SplitPath(canonical)) {
    const std::string name(part);
    prefix = prefix.empty() ? name : prefix + "/" + name;
    int fd = ::openat(cur.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      cur.Reset(fd);
      continue;
    }
    if (errno == ENOTDIR || errno == ELOOP) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "mkdir " + ShownPath(prefix) + ": not a directory");
    }
    if (errno != ENOENT) return PathError("open", ShownPath(prefix), errno);
    if (::mkdirat(cur.get(), name.c_str(), 0700) != 0) return PathError("mkdir", ShownPath(prefix), errno);
    fd = ::openat(cur.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return PathError("open", ShownPath(prefix), errno);
    UniqueFd made(fd);
    // Owner first: chown clears setgid, and the mode must be exact whatever the umask.
    if (how.owner && ::fchown(made.get(), how.owner->uid, how.owner->gid) != 0) {
      return PathError("chown", ShownPath(prefix), errno);
    }
    if (::fchmod(made.get(), how.mode) != 0) return PathError("chmod", ShownPath(prefix), errno);
    if (how.time) {
      const struct timespec times[2] = {*how.time, *how.time};
      if (::futimens(made.get(), times) != 0) return PathError("set times of", ShownPath(prefix), errno);
    }
    if (created != nullptr) created->push_back(prefix);
    cur = std::move(made);
  }
  return {};
}

Result<void> RootDir::SetTimes(const std::vector<std::string>& canonicals,
                               const struct timespec& time) const {
  const struct timespec times[2] = {time, time};
  for (auto it = canonicals.rbegin(); it != canonicals.rend(); ++it) {
    auto [parent, base] = SplitCanonical(*it);
    BT_ASSIGN_OR_RETURN(UniqueFd dir, OpenDir(parent));
    const char* name = base.empty() ? "." : base.c_str();
    if (::utimensat(dir.get(), name, times, AT_SYMLINK_NOFOLLOW) != 0) {
      return PathError("set times of", ShownPath(*it), errno);
    }
  }
  return {};
}

}  // namespace bt::executor
