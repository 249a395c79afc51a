#include "cache/snapshot/in_root_path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <string>

namespace bt::cache {
namespace {

constexpr int kMaxSymlinks = 40;  // the kernel's own limit (MAXSYMLINKS)

long RawOpenat2(int dirfd, const char* path, struct open_how* how) {
  return ::syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

Result<std::string> ReadLinkAt(int dir_fd, const std::string& name) {
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = ::readlinkat(dir_fd, name.c_str(), buf.data(), buf.size());
    if (n < 0) return ErrnoError("readlink", name, errno);
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(n);
      return buf;
    }
    buf.resize(buf.size() * 2);
  }
}

void PushFront(std::deque<std::string>& queue, std::string_view target) {
  std::vector<std::string_view> parts = SplitPath(target);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) queue.emplace_front(*it);
}

std::deque<std::string> ToQueue(std::string_view path) {
  std::deque<std::string> queue;
  for (std::string_view part : SplitPath(path)) queue.emplace_back(part);
  return queue;
}

// The ENOSYS fallback: one component at a time, each opened with O_NOFOLLOW relative to the
// directory before it, symlinks read and spliced into the remaining path by hand.
Result<UniqueFd> WalkInRoot(int root_fd, std::string_view path, const InRootOpenOptions& o) {
  std::vector<UniqueFd> stack;  // open directories below the root; empty means at the root
  auto cur = [&] { return stack.empty() ? root_fd : stack.back().get(); };
  std::deque<std::string> queue = ToQueue(path);
  int links = 0;
  const std::string shown(path);
  while (!queue.empty()) {
    std::string c = std::move(queue.front());
    queue.pop_front();
    if (c == "..") {
      if (!stack.empty()) stack.pop_back();
      continue;
    }
    const bool last = queue.empty();
    struct stat st;
    if (::fstatat(cur(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (!(last && errno == ENOENT && (o.flags & O_CREAT))) return ErrnoError("open", shown, errno);
      st.st_mode = 0;
    }
    if (S_ISLNK(st.st_mode) && (!last || o.final_component == FinalComponent::kFollow)) {
      if (o.symlinks == SymlinkPolicy::kRefuse || ++links > kMaxSymlinks) {
        return ErrnoError("open", shown, ELOOP);
      }
      BT_ASSIGN_OR_RETURN(std::string target, ReadLinkAt(cur(), c));
      if (!target.empty() && target[0] == '/') stack.clear();
      PushFront(queue, target);
      if (queue.empty()) queue.emplace_back(".");
      continue;
    }
    if (!last) {
      int fd = ::openat(cur(), c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return ErrnoError("open", shown, errno);
      stack.emplace_back(fd);
      continue;
    }
    int fd = ::openat(cur(), c.c_str(), o.flags | O_NOFOLLOW | O_CLOEXEC, o.mode);
    if (fd < 0) return ErrnoError("open", shown, errno);
    return UniqueFd(fd);
  }
  // The path named the root or a directory reached through `..` or a symlink.
  int fd = ::openat(cur(), ".", (o.flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", shown, errno);
  return UniqueFd(fd);
}

// A directory of the merged view: the open directory in each layer that contributes to it
// (-1 where a layer does not), top first. exists is false below a missing component.
struct DirState {
  std::vector<int> fds;
  std::vector<UniqueFd> owned;
  bool exists = true;
};

bool IsWhiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == 0; }

bool IsOpaque(int dir_fd) {
  char proc[64];
  std::snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dir_fd);
  char value[2];
  ssize_t n = ::getxattr(proc, "trusted.overlay.opaque", value, sizeof(value));
  return n == 1 && value[0] == 'y';
}

struct ChildLookup {
  std::optional<LayerView::Entry> entry;  // nullopt: absent or whited out
  DirState dir;                           // filled when entry is a directory
};

// Looks `name` up in the merged directory `parent`.
Result<ChildLookup> LookupChild(const DirState& parent, const std::string& name) {
  ChildLookup out;
  const size_t n = parent.fds.size();
  if (!parent.exists) {
    out.dir.exists = false;
    return out;
  }
  for (size_t i = 0; i < n; ++i) {
    if (parent.fds[i] < 0) continue;
    struct stat st;
    if (::fstatat(parent.fds[i], name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return ErrnoError("stat", name, errno);
    }
    if (IsWhiteout(st)) break;
    out.entry = LayerView::Entry{i, st};
    if (!S_ISDIR(st.st_mode)) return out;
    out.dir.fds.assign(n, -1);
    for (size_t j = i; j < n; ++j) {
      if (parent.fds[j] < 0) continue;
      if (j > i) {
        struct stat lower;
        if (::fstatat(parent.fds[j], name.c_str(), &lower, AT_SYMLINK_NOFOLLOW) != 0) {
          if (errno == ENOENT) continue;
          return ErrnoError("stat", name, errno);
        }
        if (!S_ISDIR(lower.st_mode)) break;  // a non-directory or whiteout hides the rest
      }
      int fd = ::openat(parent.fds[j], name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return ErrnoError("open", name, errno);
      out.dir.owned.emplace_back(fd);
      out.dir.fds[j] = fd;
      if (j + 1 < n && IsOpaque(fd)) break;
    }
    return out;
  }
  out.dir.exists = false;
  return out;
}

DirState RootState(const std::vector<int>& layer_fds) {
  DirState root;
  root.fds = layer_fds;
  return root;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

}  // namespace

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(pos, end - pos);
    if (!part.empty() && part != ".") parts.push_back(part);
    pos = end + 1;
  }
  return parts;
}

Result<UniqueFd> OpenInRoot(int root_fd, std::string_view path, const InRootOpenOptions& options) {
  if (options.method == ResolveMethod::kAuto) {
    struct open_how how = {};
    how.flags = static_cast<uint64_t>(options.flags) | O_CLOEXEC;
    if (options.final_component == FinalComponent::kNoFollow) how.flags |= O_NOFOLLOW;
    if (options.flags & O_CREAT) how.mode = options.mode;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    if (options.symlinks == SymlinkPolicy::kRefuse) how.resolve |= RESOLVE_NO_SYMLINKS;
    // openat2 treats "" as an error; the root itself is ".".
    std::string p = path.empty() ? std::string(".") : std::string(path);
    long fd = RawOpenat2(root_fd, p.c_str(), &how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno != ENOSYS) return ErrnoError("open", p, errno);
  }
  return WalkInRoot(root_fd, path, options);
}

Result<std::optional<LayerView::Entry>> LayerView::Lookup(std::string_view canonical) const {
  DirState state = RootState(layer_fds_);
  std::optional<Entry> entry;
  if (canonical.empty()) {
    struct stat st;
    if (::fstat(layer_fds_[0], &st) != 0) return ErrnoError("stat", "/", errno);
    return std::optional<Entry>(Entry{0, st});
  }
  std::vector<std::string_view> parts = SplitPath(canonical);
  for (size_t k = 0; k < parts.size(); ++k) {
    BT_ASSIGN_OR_RETURN(ChildLookup child, LookupChild(state, std::string(parts[k])));
    if (!child.entry) return std::optional<Entry>();
    if (k + 1 < parts.size() && !S_ISDIR(child.entry->st.st_mode)) return std::optional<Entry>();
    entry = child.entry;
    state = std::move(child.dir);
  }
  return entry;
}

Result<std::string> LayerView::Resolve(std::string_view path, FinalComponent final_component) const {
  std::vector<DirState> stack;
  stack.push_back(RootState(layer_fds_));
  std::vector<std::string> out;
  std::deque<std::string> queue = ToQueue(path);
  int links = 0;
  while (!queue.empty()) {
    std::string c = std::move(queue.front());
    queue.pop_front();
    if (c == "..") {
      if (!out.empty()) {
        out.pop_back();
        stack.pop_back();
      }
      continue;
    }
    const bool last = queue.empty();
    BT_ASSIGN_OR_RETURN(ChildLookup child, LookupChild(stack.back(), c));
    if (child.entry && S_ISLNK(child.entry->st.st_mode) &&
        (!last || final_component == FinalComponent::kFollow)) {
      if (++links > kMaxSymlinks) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "resolve " + std::string(path) + ": too many levels of symbolic links");
      }
      const int layer_dir = stack.back().fds[child.entry->layer];
      BT_ASSIGN_OR_RETURN(std::string target, ReadLinkAt(layer_dir, c));
      if (!target.empty() && target[0] == '/') {
        stack.resize(1);
        out.clear();
      }
      PushFront(queue, target);
      continue;
    }
    if (child.entry && !S_ISDIR(child.entry->st.st_mode) && !last) {
      return MakeError(ErrorCode::kInvalidArgument, "resolve " + std::string(path) + ": " +
                                                        Join(out) + (out.empty() ? "" : "/") + c +
                                                        " is not a directory");
    }
    out.push_back(std::move(c));
    stack.push_back(std::move(child.dir));
  }
  return Join(out);
}

}  // namespace bt::cache
