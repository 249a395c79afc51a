#include "executor/fileop/tree_copier.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <vector>

#include "executor/fileop/dir_listing.h"
#include "executor/fileop/go_path.h"
#include "executor/fileop/path_error.h"

namespace bt::executor {

// A directory being copied: its source fd and where it goes. The destination directory
// exists once dst_fd is valid; until then it is only a name in its parent's destination.
struct TreeCopier::Frame {
  Frame* parent = nullptr;
  struct stat src_st = {};
  EntryRef src_ref;          // the source directory as an entry of its parent
  std::string dst_name;      // its name in the parent's destination directory
  std::string dst_path;      // canonical destination path
  UniqueFd dst_fd;
  bool made_for_child = false;  // created because something below it was included
};

// One entry to copy: where it is in the source, and where it goes.
struct TreeCopier::Node {
  Frame* parent = nullptr;  // null for the top entry
  int src_dir = -1;
  std::string src_name;     // "." when the entry is src_dir itself
  std::string src_path;     // canonical source path
  std::string comps;        // path below the copied source, matched by the patterns
  std::string dst_name;
  std::string dst_path;
};

namespace {

std::string Child(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

Result<std::optional<struct stat>> LstatAt(int dir, const std::string& name, const std::string& shown) {
  struct stat st;
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return std::optional<struct stat>(st);
  if (errno == ENOENT) return std::optional<struct stat>();
  return PathError("lstat", shown, errno);
}

Result<std::string> ReadLinkAt(int dir, const std::string& name, size_t hint, const std::string& shown) {
  std::string buf(hint + 1, '\0');
  for (;;) {
    const ssize_t n = ::readlinkat(dir, name.c_str(), buf.data(), buf.size());
    if (n < 0) return PathError("readlink", shown, errno);
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    buf.resize(buf.size() * 2);
  }
}

}  // namespace

mode_t TreeCopier::TargetMode(const CopyRules& rules, mode_t src_mode) {
  if (rules.mode_expression) return rules.mode_expression->Apply(src_mode) & 07777;
  if (rules.mode) {
    if (rules.compat == CopyCompat::kBuildKitHead) return *rules.mode & 07777;
    return (src_mode & 07000) | (*rules.mode & 0777);
  }
  return src_mode & 07777;
}

Result<void> TreeCopier::Copy(const std::string& src, const std::string& dst) {
  auto [src_parent, src_base] = SplitCanonical(src);
  auto [dst_parent, dst_base] = SplitCanonical(dst);
  BT_ASSIGN_OR_RETURN(UniqueFd src_dir, src_root_.OpenDir(src_parent));
  BT_ASSIGN_OR_RETURN(UniqueFd dst_dir, dst_root_.OpenDir(dst_parent));
  top_dst_dir_ = dst_dir.get();
  Node top;
  top.src_dir = src_dir.get();
  top.src_name = src_base.empty() ? "." : src_base;
  top.src_path = src;
  top.dst_name = dst_base.empty() ? "." : dst_base;
  top.dst_path = dst;
  return CopyEntry(top, Level::kTop);
}

Result<void> TreeCopier::CopyEntry(const Node& n, Level level) {
  Selection sel;
  if (!n.comps.empty()) {
    if (rules_.include != nullptr) sel.included = rules_.include->Excluded(n.comps);  // "matches"
    if (rules_.exclude != nullptr && rules_.exclude->Excluded(n.comps)) {
      sel.included = false;
      sel.excluded = true;
    }
    // Nothing below an entry that is not included can be, unless patterns say otherwise.
    const bool exceptions = rules_.exclude != nullptr && rules_.exclude->has_exceptions();
    if (!sel.included && rules_.include == nullptr && !exceptions) return {};
  }
  const bool include = sel.included;
  struct stat st;
  if (::fstatat(n.src_dir, n.src_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return PathError("lstat", Shown(n.src_path), errno);
  }
  if (!include && !S_ISDIR(st.st_mode)) return {};

  int dst_dir = -1;
  std::optional<struct stat> target;
  if (include) {
    BT_ASSIGN_OR_RETURN(dst_dir, EnsureDst(n.parent));
    BT_ASSIGN_OR_RETURN(target, LstatAt(dst_dir, n.dst_name, Shown(n.dst_path)));
    if (rules_.always_replace_existing && target && !(S_ISDIR(st.st_mode) && S_ISDIR(target->st_mode))) {
      BT_TRY(RemoveEntry(EntryRef{dst_dir, n.dst_name, Shown(n.dst_path)}));
      target.reset();
    }
  }
  if (S_ISDIR(st.st_mode)) {
    return CopyDirectory(n, st, sel, level, target);
  }

  const EntryRef src_ref{n.src_dir, n.src_name, Shown(n.src_path)};
  const EntryRef dst_ref{dst_dir, n.dst_name, Shown(n.dst_path)};
  if (target) {
    if (S_ISDIR(target->st_mode)) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "cannot replace to directory " + Shown(n.dst_path) + " with file");
    }
    if (::unlinkat(dst_dir, n.dst_name.c_str(), 0) != 0) return PathError("remove", dst_ref.shown, errno);
  }
  if (S_ISREG(st.st_mode)) return CopyRegular(n, st, dst_dir);
  if (S_ISLNK(st.st_mode)) {
    BT_ASSIGN_OR_RETURN(std::string link, ReadLinkAt(n.src_dir, n.src_name,
                                                     static_cast<size_t>(st.st_size), src_ref.shown));
    if (::symlinkat(link.c_str(), dst_dir, n.dst_name.c_str()) != 0) {
      return PathError("symlink", dst_ref.shown, errno);
    }
  } else {
    // A socket cannot be copied; fsutil's copyDevice leaves an empty regular file (its type
    // bits cleared), and so do we. Character and block devices and fifos keep their type.
    const mode_t type = S_ISSOCK(st.st_mode) ? S_IFREG : (st.st_mode & S_IFMT);
    if (::mknodat(dst_dir, n.dst_name.c_str(), type | 0600, S_ISSOCK(st.st_mode) ? 0 : st.st_rdev) != 0) {
      return PathError("mknod", dst_ref.shown, errno);
    }
  }
  return ApplyInfo(src_ref, dst_ref, -1, st, Times::kNow);
}

Result<void> TreeCopier::CopyDirectory(const Node& n, const struct stat& st, Selection sel, Level level,
                                       const std::optional<struct stat>& target) {
  Frame frame;
  frame.parent = n.parent;
  frame.src_st = st;
  frame.src_ref = EntryRef{n.src_dir, n.src_name, Shown(n.src_path)};
  frame.dst_name = n.dst_name;
  frame.dst_path = n.dst_path;
  bool created = false;
  int dst_dir = -1;
  if (sel.included) {
    BT_ASSIGN_OR_RETURN(dst_dir, EnsureDst(n.parent));
    const std::string shown = Shown(n.dst_path);
    if (!target) {
      if (::mkdirat(dst_dir, n.dst_name.c_str(), 0700) != 0) return PathError("mkdir", shown, errno);
      created = true;
    } else if (!S_ISDIR(target->st_mode)) {
      return MakeError(ErrorCode::kFailedPrecondition, "cannot copy to non-directory: " + shown);
    }
    const int fd = ::openat(dst_dir, n.dst_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return PathError("open", shown, errno);
    frame.dst_fd.Reset(fd);
    if (!created && level == Level::kBelow) {
      // copyDirectoryOnly: a directory merged into takes the source directory's mode.
      BT_TRY(SetMode(EntryRef{dst_dir, n.dst_name, shown}, frame.dst_fd.get(), st.st_mode));
    }
  }

  // An excluded directory is entered only when an exception ("!pattern") may re-include
  // something below it.
  const bool exceptions = rules_.exclude != nullptr && rules_.exclude->has_exceptions();
  if (!sel.excluded || exceptions) {
    const int fd = ::openat(n.src_dir, n.src_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return PathError("open", frame.src_ref.shown, errno);
    UniqueFd src_dir(fd);
    BT_ASSIGN_OR_RETURN(std::vector<std::string> names, src_root_.ListVisible(src_dir.get(), n.src_path));
    for (const std::string& name : names) {
      Node child;
      child.parent = &frame;
      child.src_dir = src_dir.get();
      child.src_name = name;
      child.src_path = Child(n.src_path, name);
      child.comps = Child(n.comps, name);
      child.dst_name = name;
      child.dst_path = Child(n.dst_path, name);
      BT_TRY(CopyEntry(child, Level::kBelow));
    }
  }

  // The directory's own metadata comes after its contents, whose creation changes its mtime.
  if (!frame.dst_fd.valid()) return {};  // neither included nor needed by anything below
  const int parent_fd = n.parent == nullptr ? top_dst_dir_ : n.parent->dst_fd.get();
  const EntryRef dst_ref{parent_fd, n.dst_name, Shown(n.dst_path)};
  if (frame.made_for_child) return ApplyTimes(dst_ref, frame.dst_fd.get(), st);
  // The top entry merged into an existing directory keeps that directory's owner and mode
  // and only takes the source's times (fsutil's restoreFileTimestamp); everything else that
  // was included gets the full metadata.
  const bool copy_info = level == Level::kBelow ? sel.included : created;
  if (copy_info) return ApplyInfo(frame.src_ref, dst_ref, frame.dst_fd.get(), st, Times::kNow);
  if (level == Level::kTop && target) return ApplyTimes(dst_ref, frame.dst_fd.get(), st);
  return {};
}

Result<int> TreeCopier::EnsureDst(Frame* frame) {
  if (frame == nullptr) return top_dst_dir_;
  if (frame->dst_fd.valid()) return frame->dst_fd.get();
  BT_ASSIGN_OR_RETURN(int parent_fd, EnsureDst(frame->parent));
  const EntryRef dst_ref{parent_fd, frame->dst_name, Shown(frame->dst_path)};
  BT_ASSIGN_OR_RETURN(std::optional<struct stat> target, LstatAt(parent_fd, frame->dst_name, dst_ref.shown));
  bool created = false;
  if (!target) {
    if (::mkdirat(parent_fd, frame->dst_name.c_str(), 0700) != 0) return PathError("mkdir", dst_ref.shown, errno);
    created = true;
  } else if (!S_ISDIR(target->st_mode)) {
    return MakeError(ErrorCode::kFailedPrecondition, "cannot copy to non-directory: " + dst_ref.shown);
  }
  const int fd = ::openat(parent_fd, frame->dst_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return PathError("open", dst_ref.shown, errno);
  frame->dst_fd.Reset(fd);
  if (created) {
    // Owner, mode and xattrs now; the times once the contents are in (CopyDirectory).
    BT_TRY(ApplyInfo(frame->src_ref, dst_ref, fd, frame->src_st, Times::kAfterContents));
    frame->made_for_child = true;
  } else {
    BT_TRY(SetMode(dst_ref, fd, frame->src_st.st_mode));
  }
  return fd;
}

Result<void> TreeCopier::CopyRegular(const Node& n, const struct stat& st, int dst_dir) {
  const EntryRef src_ref{n.src_dir, n.src_name, Shown(n.src_path)};
  const EntryRef dst_ref{dst_dir, n.dst_name, Shown(n.dst_path)};
  if (st.st_nlink > 1) {
    auto [it, first] = first_links_.emplace(std::make_pair(st.st_dev, st.st_ino), n.dst_path);
    if (!first) {
      auto [link_parent, link_base] = SplitCanonical(it->second);
      BT_ASSIGN_OR_RETURN(UniqueFd link_dir, dst_root_.OpenDir(link_parent));
      if (::linkat(link_dir.get(), link_base.c_str(), dst_dir, n.dst_name.c_str(), 0) != 0) {
        return PathError("link", dst_ref.shown, errno);
      }
      return ApplyInfo(src_ref, dst_ref, -1, st, Times::kNow);
    }
  }
  // O_NONBLOCK: if the entry became a fifo since the lstat, the open must not hang.
  const int in_fd = ::openat(n.src_dir, n.src_name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (in_fd < 0) return PathError("open", src_ref.shown, errno);
  UniqueFd in(in_fd);
  struct stat now;
  if (::fstat(in.get(), &now) != 0) return PathError("stat", src_ref.shown, errno);
  if (!S_ISREG(now.st_mode) || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
    return MakeError(ErrorCode::kFailedPrecondition, "copy " + src_ref.shown + ": the source changed during the copy");
  }
  const int out_fd = ::openat(dst_dir, n.dst_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out_fd < 0) return PathError("create", dst_ref.shown, errno);
  UniqueFd out(out_fd);
  BT_TRY(CopyContents(in.get(), out.get(), dst_ref.shown));
  return ApplyInfo(src_ref, dst_ref, out.get(), st, Times::kNow);
}

Result<void> TreeCopier::ApplyInfo(const EntryRef& src, const EntryRef& dst, int dst_fd,
                                   const struct stat& st, Times times) {
  UidGid owner{st.st_uid, st.st_gid};
  if (rules_.source_owners == SourceOwners::kRoot) owner = UidGid{0, 0};
  if (rules_.owner) owner = *rules_.owner;
  BT_TRY(SetOwner(dst, dst_fd, owner));
  // After the chown, which clears setuid and setgid.
  if (!S_ISLNK(st.st_mode)) BT_TRY(SetMode(dst, dst_fd, TargetMode(rules_, st.st_mode)));
  if (times == Times::kNow) BT_TRY(ApplyTimes(dst, dst_fd, st));
  // Last, after the chown that clears security.capability.
  CopyXattrs(src, dst);
  return {};
}

Result<void> TreeCopier::ApplyTimes(const EntryRef& dst, int dst_fd, const struct stat& st) {
  if (rules_.time) return SetTimes(dst, dst_fd, *rules_.time, *rules_.time);
  return SetTimes(dst, dst_fd, st.st_atim, st.st_mtim);
}

}  // namespace bt::executor
