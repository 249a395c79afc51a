#include "cache/snapshot/rootfs_diff.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "base/unique_fd.h"
#include "cache/snapshot/chain_flatten.h"
#include "cache/snapshot/in_root_path.h"

namespace bt::cache {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr size_t kCompareChunk = 64 * 1024;

Error SysError(std::string_view op, const std::string& path, int err) {
  Error e = ErrnoError(op, path, err);
  if (err == EPERM || err == EACCES) e.code = ErrorCode::kPermissionDenied;
  return e;
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

std::pair<std::string, std::string> SplitLast(const std::string& rel) {
  const size_t slash = rel.rfind('/');
  if (slash == std::string::npos) return {"", rel};
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

Result<UniqueFd> Dup(int fd, const std::string& display) {
  UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!copy.valid()) return SysError("dup", display, errno);
  return copy;
}

// Reads up to size bytes, fewer only at end of file.
Result<size_t> ReadFull(int fd, char* buf, size_t size, const std::string& display) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, buf + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SysError("read", display, errno);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

Result<UniqueFd> OpenRegular(const EntryRef& at) {
  UniqueFd fd(::openat(at.dir_fd, at.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return SysError("open", at.display, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return SysError("stat", at.display, errno);
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "compare " + at.display + ": no longer a regular file");
  }
  return fd;
}

Result<bool> SameContent(const EntryRef& a, const EntryRef& b) {
  BT_ASSIGN_OR_RETURN(UniqueFd fa, OpenRegular(a));
  BT_ASSIGN_OR_RETURN(UniqueFd fb, OpenRegular(b));
  std::vector<char> ba(kCompareChunk), bb(kCompareChunk);
  for (;;) {
    BT_ASSIGN_OR_RETURN(size_t na, ReadFull(fa.get(), ba.data(), ba.size(), a.display));
    BT_ASSIGN_OR_RETURN(size_t nb, ReadFull(fb.get(), bb.data(), bb.size(), b.display));
    if (na != nb || std::memcmp(ba.data(), bb.data(), na) != 0) return false;
    if (na < ba.size()) return true;
  }
}

Result<std::string> ReadLink(const EntryRef& at) {
  std::string target(256, '\0');
  for (;;) {
    const ssize_t n = ::readlinkat(at.dir_fd, at.name.c_str(), target.data(), target.size());
    if (n < 0) return SysError("readlink", at.display, errno);
    if (static_cast<size_t>(n) < target.size()) {
      target.resize(static_cast<size_t>(n));
      return target;
    }
    target.resize(target.size() * 2);
  }
}

// containerd's sameFile for two non-directories (see the header), plus every xattr and the
// symlink target whatever the timestamps say.
Result<bool> SameNonDirectory(const EntryRef& lower, const struct stat& ls, const EntryRef& upper,
                              const struct stat& us) {
  if (ls.st_size != us.st_size || ls.st_mtim.tv_sec != us.st_mtim.tv_sec) return false;
  const bool truncated = ls.st_mtim.tv_nsec == 0 && us.st_mtim.tv_nsec == 0;
  if (!truncated && ls.st_mtim.tv_nsec != us.st_mtim.tv_nsec) return false;
  BT_ASSIGN_OR_RETURN(Xattrs lx, ReadXattrsAt(lower));
  BT_ASSIGN_OR_RETURN(Xattrs ux, ReadXattrsAt(upper));
  if (lx != ux) return false;
  if (S_ISLNK(us.st_mode)) {
    BT_ASSIGN_OR_RETURN(std::string lt, ReadLink(lower));
    BT_ASSIGN_OR_RETURN(std::string ut, ReadLink(upper));
    return lt == ut;
  }
  // Equal, non-zero nanoseconds: trusted as containerd does. Devices and fifos have size 0.
  if (!truncated || us.st_size == 0 || !S_ISREG(us.st_mode)) return true;
  return SameContent(lower, upper);
}

bool SameStat(const struct stat& a, const struct stat& b) {
  return a.st_mode == b.st_mode && a.st_uid == b.st_uid && a.st_gid == b.st_gid &&
         a.st_rdev == b.st_rdev;
}

// One directory of the walk: its path relative to the roots, its open upper directory and,
// once something had to be written in it, its directory in the diff.
struct Frame {
  Frame* parent = nullptr;  // nullptr for the root
  std::string rel;
  std::string name;   // last component of rel
  int upper_fd = -1;  // borrowed
  UniqueFd diff_fd;   // invalid until DiffDir creates or opens it
};

class DiffWriter {
 public:
  DiffWriter(const RootfsDiffRequest& request, int upper_root, int diff_root)
      : request_(request), upper_root_(upper_root), diff_root_(diff_root) {}

  Result<RootfsDiffStats> Run(int lower_root);

 private:
  std::string Upper(const std::string& rel) const { return request_.upper + "/" + rel; }
  std::string Lower(const std::string& rel) const { return *request_.lower + "/" + rel; }
  std::string Diff(const std::string& rel) const { return request_.diff + "/" + rel; }

  // Compares the children of a directory present in the upper (and in the lower when
  // lower_fd >= 0) and writes what differs.
  Result<void> CompareDir(int upper_fd, int lower_fd, Frame& frame);
  Result<void> Added(int upper_fd, Frame& frame, const std::string& name);
  Result<void> Compared(int upper_fd, int lower_fd, Frame& frame, const std::string& name);
  Result<void> Deleted(Frame& frame, const std::string& name);
  // Enters the upper directory `name` of `frame`, creating it in the diff first when
  // `create` (it is new, or its own metadata changed).
  enum class DirInDiff { kCreate, kWhenNeeded };
  Result<void> Descend(int upper_fd, int lower_fd, Frame& frame, const std::string& name,
                       DirInDiff create);
  Result<void> WriteNonDirectory(int upper_fd, Frame& frame, const std::string& name,
                                 const struct stat& st);
  Result<void> LinkTo(const std::string& first_rel, int dir_fd, const std::string& name,
                      const std::string& rel);
  // The diff directory of a frame, created (with every missing parent) on first use.
  Result<int> DiffDir(Frame& frame);
  // Opens or creates `name` in the diff directory parent_fd; a new one takes (later) the
  // metadata of the upper directory upper_fd.
  Result<UniqueFd> OpenOrCreateDiffDir(int parent_fd, const std::string& rel,
                                       const std::string& name, int upper_fd);
  // Opens the diff directory at rel, creating missing components from the upper's.
  Result<UniqueFd> EnsureDiffDir(const std::string& rel);
  // Adds to the diff the unchanged names hard-linked to an entry that was copied.
  Result<void> LinkUnchangedNames();
  // Gives the directories created in the diff their upper metadata, deepest first.
  Result<void> ApplyDirectoryMetadata();

  struct CreatedDir {
    std::string rel;
    struct stat st;
    Xattrs xattrs;
  };
  using InodeKey = std::pair<dev_t, ino_t>;

  const RootfsDiffRequest& request_;
  int upper_root_;
  int diff_root_;
  RootfsDiffStats stats_;
  std::vector<CreatedDir> created_;  // in creation order: a parent before its children
  // Upper inode (of a name with st_nlink > 1) -> diff path of its copy.
  std::map<InodeKey, std::string> copied_;
  // Unchanged upper names with st_nlink > 1, for LinkUnchangedNames.
  std::vector<std::pair<InodeKey, std::string>> unchanged_links_;
};

Result<RootfsDiffStats> DiffWriter::Run(int lower_root) {
  Frame root;
  root.upper_fd = upper_root_;
  BT_ASSIGN_OR_RETURN(root.diff_fd, Dup(diff_root_, request_.diff));
  BT_TRY(CompareDir(upper_root_, lower_root, root));
  BT_TRY(LinkUnchangedNames());
  BT_TRY(ApplyDirectoryMetadata());
  return stats_;
}

Result<void> DiffWriter::CompareDir(int upper_fd, int lower_fd, Frame& frame) {
  BT_ASSIGN_OR_RETURN(std::vector<std::string> upper, ListDirNames(upper_fd, Upper(frame.rel)));
  std::vector<std::string> lower;
  if (lower_fd >= 0) {
    BT_ASSIGN_OR_RETURN(lower, ListDirNames(lower_fd, Lower(frame.rel)));
  }
  // Both lists are sorted: merge them, as containerd's double walk does.
  size_t u = 0, l = 0;
  while (u < upper.size() || l < lower.size()) {
    if (u == upper.size() || (l < lower.size() && lower[l] < upper[u])) {
      BT_TRY(Deleted(frame, lower[l++]));
    } else if (l == lower.size() || upper[u] < lower[l]) {
      BT_TRY(Added(upper_fd, frame, upper[u++]));
    } else {
      BT_TRY(Compared(upper_fd, lower_fd, frame, upper[u]));
      ++u;
      ++l;
    }
  }
  return {};
}

Result<void> DiffWriter::Added(int upper_fd, Frame& frame, const std::string& name) {
  const std::string rel = Join(frame.rel, name);
  struct stat st;
  if (::fstatat(upper_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return SysError("stat", Upper(rel), errno);
  }
  if (S_ISDIR(st.st_mode)) return Descend(upper_fd, -1, frame, name, DirInDiff::kCreate);
  return WriteNonDirectory(upper_fd, frame, name, st);
}

Result<void> DiffWriter::Deleted(Frame& frame, const std::string& name) {
  BT_ASSIGN_OR_RETURN(int dir, DiffDir(frame));
  if (::mknodat(dir, name.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0) {
    Error e = SysError("create whiteout", Diff(Join(frame.rel, name)), errno);
    if (e.code == ErrorCode::kPermissionDenied) {
      e.message += " (an overlay whiteout is a char device 0:0; before Linux 5.8 it needs "
                   "CAP_MKNOD)";
    }
    return e;
  }
  ++stats_.whiteouts;
  return {};
}

Result<void> DiffWriter::Compared(int upper_fd, int lower_fd, Frame& frame,
                                  const std::string& name) {
  const std::string rel = Join(frame.rel, name);
  struct stat us, ls;
  if (::fstatat(upper_fd, name.c_str(), &us, AT_SYMLINK_NOFOLLOW) != 0) {
    return SysError("stat", Upper(rel), errno);
  }
  if (::fstatat(lower_fd, name.c_str(), &ls, AT_SYMLINK_NOFOLLOW) != 0) {
    return SysError("stat", Lower(rel), errno);
  }
  if (S_ISDIR(us.st_mode)) {
    // Over a lower non-directory the new directory stands alone: overlayfs merges a
    // directory only with directories below it.
    if (!S_ISDIR(ls.st_mode)) return Descend(upper_fd, -1, frame, name, DirInDiff::kCreate);
    return Descend(upper_fd, lower_fd, frame, name, DirInDiff::kWhenNeeded);
  }
  // A directory replaced by a non-directory: writing the new entry hides the whole lower
  // tree, so nothing below it needs a whiteout (containerd's rmdir skip).
  bool same = false;
  if (SameStat(ls, us)) {
    BT_ASSIGN_OR_RETURN(same, SameNonDirectory({lower_fd, name, Lower(rel)}, ls,
                                               {upper_fd, name, Upper(rel)}, us));
  }
  if (!same) return WriteNonDirectory(upper_fd, frame, name, us);
  if (us.st_nlink > 1) unchanged_links_.push_back({{us.st_dev, us.st_ino}, rel});
  return {};
}

Result<void> DiffWriter::Descend(int upper_fd, int lower_fd, Frame& frame, const std::string& name,
                                 DirInDiff create) {
  Frame child;
  child.parent = &frame;
  child.rel = Join(frame.rel, name);
  child.name = name;
  UniqueFd upper(::openat(upper_fd, name.c_str(), kDirFlags));
  if (!upper.valid()) return SysError("open", Upper(child.rel), errno);
  child.upper_fd = upper.get();
  UniqueFd lower;
  if (lower_fd >= 0) {
    lower.Reset(::openat(lower_fd, name.c_str(), kDirFlags));
    if (!lower.valid()) return SysError("open", Lower(child.rel), errno);
    struct stat us, ls;
    if (::fstat(upper.get(), &us) != 0) return SysError("stat", Upper(child.rel), errno);
    if (::fstat(lower.get(), &ls) != 0) return SysError("stat", Lower(child.rel), errno);
    // A directory's own change is its stat fields or xattrs; its mtime and size only
    // reflect its entries, which the walk compares one by one (containerd's sameFile).
    bool same = SameStat(ls, us);
    if (same) {
      BT_ASSIGN_OR_RETURN(Xattrs ux, ReadXattrsOfFd(upper.get(), Upper(child.rel)));
      BT_ASSIGN_OR_RETURN(Xattrs lx, ReadXattrsOfFd(lower.get(), Lower(child.rel)));
      same = ux == lx;
    }
    if (!same) create = DirInDiff::kCreate;
  }
  if (create == DirInDiff::kCreate) BT_TRY(DiffDir(child));
  return CompareDir(upper.get(), lower.valid() ? lower.get() : -1, child);
}

Result<void> DiffWriter::WriteNonDirectory(int upper_fd, Frame& frame, const std::string& name,
                                           const struct stat& st) {
  const std::string rel = Join(frame.rel, name);
  BT_ASSIGN_OR_RETURN(int dir, DiffDir(frame));
  const InodeKey key{st.st_dev, st.st_ino};
  if (st.st_nlink > 1) {
    if (auto it = copied_.find(key); it != copied_.end()) return LinkTo(it->second, dir, name, rel);
  }
  BT_TRY(CopyNonDirectory({upper_fd, name, Upper(rel)}, st, {dir, name, Diff(rel)}));
  ++stats_.copied;
  if (st.st_nlink > 1) copied_.emplace(key, rel);
  return {};
}

Result<void> DiffWriter::LinkTo(const std::string& first_rel, int dir_fd, const std::string& name,
                                const std::string& rel) {
  const auto [first_dir, first_name] = SplitLast(first_rel);
  InRootOpenOptions open_dir;
  open_dir.flags = O_PATH | O_DIRECTORY;
  open_dir.final_component = FinalComponent::kNoFollow;
  open_dir.symlinks = SymlinkPolicy::kRefuse;
  Result<UniqueFd> first = OpenInRoot(diff_root_, first_dir, open_dir);
  if (!first) return std::move(first).error().Wrap("link " + Diff(rel) + " to " + Diff(first_rel));
  if (::linkat(first->get(), first_name.c_str(), dir_fd, name.c_str(), 0) != 0) {
    return SysError("link " + Diff(first_rel) + " to", Diff(rel), errno);
  }
  ++stats_.hardlinks;
  return {};
}

Result<int> DiffWriter::DiffDir(Frame& frame) {
  if (frame.diff_fd.valid()) return frame.diff_fd.get();
  // Only the root has no parent, and its diff_fd is set from the start.
  BT_ASSIGN_OR_RETURN(int parent, DiffDir(*frame.parent));
  BT_ASSIGN_OR_RETURN(frame.diff_fd,
                      OpenOrCreateDiffDir(parent, frame.rel, frame.name, frame.upper_fd));
  return frame.diff_fd.get();
}

Result<UniqueFd> DiffWriter::OpenOrCreateDiffDir(int parent_fd, const std::string& rel,
                                                 const std::string& name, int upper_fd) {
  UniqueFd dir(::openat(parent_fd, name.c_str(), kDirFlags));
  if (dir.valid()) return dir;
  if (errno != ENOENT) return SysError("open", Diff(rel), errno);
  // 0700 while it is filled; ApplyDirectoryMetadata gives it the upper's mode last.
  if (::mkdirat(parent_fd, name.c_str(), 0700) != 0) return SysError("mkdir", Diff(rel), errno);
  dir.Reset(::openat(parent_fd, name.c_str(), kDirFlags));
  if (!dir.valid()) return SysError("open", Diff(rel), errno);
  CreatedDir created{rel, {}, {}};
  if (::fstat(upper_fd, &created.st) != 0) return SysError("stat", Upper(rel), errno);
  BT_ASSIGN_OR_RETURN(created.xattrs, ReadXattrsOfFd(upper_fd, Upper(rel)));
  created_.push_back(std::move(created));
  ++stats_.directories;
  return dir;
}

Result<UniqueFd> DiffWriter::EnsureDiffDir(const std::string& rel) {
  BT_ASSIGN_OR_RETURN(UniqueFd diff, Dup(diff_root_, request_.diff));
  BT_ASSIGN_OR_RETURN(UniqueFd upper, Dup(upper_root_, request_.upper));
  std::string prefix;
  for (std::string_view part : SplitPath(rel)) {
    const std::string name(part);
    prefix = Join(prefix, name);
    UniqueFd up(::openat(upper.get(), name.c_str(), kDirFlags));
    if (!up.valid()) return SysError("open", Upper(prefix), errno);
    BT_ASSIGN_OR_RETURN(UniqueFd down, OpenOrCreateDiffDir(diff.get(), prefix, name, up.get()));
    diff = std::move(down);
    upper = std::move(up);
  }
  return diff;
}

Result<void> DiffWriter::LinkUnchangedNames() {
  for (const auto& [key, rel] : unchanged_links_) {
    auto it = copied_.find(key);
    if (it == copied_.end()) continue;  // the whole link group is unchanged
    const auto [dir_rel, name] = SplitLast(rel);
    BT_ASSIGN_OR_RETURN(UniqueFd dir, EnsureDiffDir(dir_rel));
    BT_TRY(LinkTo(it->second, dir.get(), name, rel));
  }
  return {};
}

Result<void> DiffWriter::ApplyDirectoryMetadata() {
  InRootOpenOptions open_dir;
  open_dir.flags = O_RDONLY | O_DIRECTORY;
  open_dir.final_component = FinalComponent::kNoFollow;
  open_dir.symlinks = SymlinkPolicy::kRefuse;
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    Result<UniqueFd> dir = OpenInRoot(diff_root_, it->rel, open_dir);
    if (!dir) return std::move(dir).error().Wrap("set metadata of " + Diff(it->rel));
    BT_TRY(cache::ApplyDirectoryMetadata(dir->get(), it->st, it->xattrs, Diff(it->rel)));
  }
  return {};
}

}  // namespace

Result<RootfsDiffStats> WriteRootfsDiff(const RootfsDiffRequest& request) {
  UniqueFd upper(::open(request.upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!upper.valid()) return SysError("open", request.upper, errno);
  UniqueFd lower;
  if (request.lower) {
    lower.Reset(::open(request.lower->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!lower.valid()) return SysError("open", *request.lower, errno);
  }
  UniqueFd diff(::open(request.diff.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!diff.valid()) return SysError("open", request.diff, errno);
  BT_ASSIGN_OR_RETURN(std::vector<std::string> existing, ListDirNames(diff.get(), request.diff));
  if (!existing.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "write diff into " + request.diff + ": not empty (holds \"" + existing[0] +
                         "\")");
  }
  DiffWriter writer(request, upper.get(), diff.get());
  return writer.Run(lower.valid() ? lower.get() : -1);
}

}  // namespace bt::cache
