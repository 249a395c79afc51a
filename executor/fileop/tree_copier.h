// TreeCopier: copies one source entry, and for a directory everything below it, onto one
// destination entry, as tonistiigi/fsutil's copier (copy.go, copy_linux.go) does for
// BuildKit's COPY. Destinations are written only through directory fds and *at calls that
// never follow a final symlink. One copier serves one source path; not thread-safe.
#pragma once

#include <sys/stat.h>

#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "base/result.h"
#include "cache/path_patterns.h"
#include "executor/fileop/entry_ops.h"
#include "executor/fileop/file_action_options.h"
#include "executor/fileop/mode_expression.h"
#include "executor/fileop/root_dir.h"

namespace bt::executor {

// What copyFileInfo applies to every copied entry, and what the walk filters by.
struct CopyRules {
  std::optional<UidGid> owner;                    // --chown; absent: the source's owner
  SourceOwners source_owners = SourceOwners::kAsStored;
  std::optional<uint32_t> mode;                   // numeric --chmod
  std::optional<ModeExpression> mode_expression;  // symbolic --chmod; wins over `mode`
  std::optional<struct timespec> time;            // --timestamp for atime and mtime
  CopyCompat compat = CopyCompat::kConformanceReference;
  bool always_replace_existing = false;
  const cache::PathPatterns* include = nullptr;   // nullable; borrowed
  const cache::PathPatterns* exclude = nullptr;   // nullable; borrowed
};

// What a copy keeps and decides, after fsutil:
//  - symlinks are copied as symlinks (only the source path itself may have been followed by
//    the caller); hard links inside one copy stay hard links; devices and fifos are made
//    with mknod, a socket becomes an empty file; special mode bits and xattrs are kept;
//  - an existing destination directory is merged into; a file replaces a file or a symlink
//    but not a directory ("cannot replace to directory ... with file"), a directory never
//    replaces a non-directory ("cannot copy to non-directory") unless always_replace;
//  - include and exclude patterns (moby/patternmatcher syntax) are matched against the path
//    below the copied source; a directory that is not included itself is created only when
//    something below it is;
//  - each copied entry gets the owner (the --chown user, else the source's), the mode (the
//    source's, changed by --chmod) and the times (the timestamp, else the source's),
//    directories after their contents.
class TreeCopier {
 public:
  TreeCopier(const RootDir& src_root, const RootDir& dst_root, const CopyRules& rules)
      : src_root_(src_root), dst_root_(dst_root), rules_(rules) {}

  // Copies the source entry at canonical path `src` onto the destination entry at canonical
  // path `dst`, whose parent directory must exist. Errors name in-root paths:
  // kNotFound (source missing), kFailedPrecondition (type clash), kIo.
  Result<void> Copy(const std::string& src, const std::string& dst);

  // The mode copyFileInfo gives an entry whose source st_mode is `src_mode` (07777 bits).
  static mode_t TargetMode(const CopyRules& rules, mode_t src_mode);

 private:
  struct Frame;
  struct Node;
  // The entry given to Copy, whose existing destination keeps its metadata (fsutil's
  // overwriteTargetMetadata false), or one below it.
  enum class Level { kTop, kBelow };
  // What the patterns say about an entry.
  struct Selection {
    bool included = true;  // copied itself (else only what is included below it)
    bool excluded = false;  // matched an exclude pattern
  };
  enum class Times { kNow, kAfterContents };

  Result<void> CopyEntry(const Node& n, Level level);
  Result<void> CopyDirectory(const Node& n, const struct stat& st, Selection selection, Level level,
                             const std::optional<struct stat>& target);
  Result<void> CopyRegular(const Node& n, const struct stat& st, int dst_dir);
  // The destination directory of `frame` (the top's parent when null), made on first need
  // (fsutil's createParentDirs for include patterns).
  Result<int> EnsureDst(Frame* frame);
  Result<void> ApplyInfo(const EntryRef& src, const EntryRef& dst, int dst_fd,
                         const struct stat& st, Times times);
  Result<void> ApplyTimes(const EntryRef& dst, int dst_fd, const struct stat& st);

  const RootDir& src_root_;
  const RootDir& dst_root_;
  const CopyRules& rules_;
  int top_dst_dir_ = -1;
  // The first destination path of each multiply-linked source file (dev, ino), so later
  // links to it become hard links in the destination too (fsutil's inodes map).
  std::map<std::pair<dev_t, ino_t>, std::string> first_links_;
};

}  // namespace bt::executor
