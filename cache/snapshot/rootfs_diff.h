// WriteRootfsDiff: the copy snapshotter's commit. It compares a modified root filesystem (a
// plain directory a build step wrote into) with the tree it started from, and writes the
// changes into an empty directory in overlay form, the format every committed snapshot has
// (snapshot_store.h): what overlayfs' upper dir would hold had the step run on overlayfs.
//
// "Changed" follows containerd's double walk (continuity fs/diff.go Changes, sameFile and
// fs/diff_unix.go compareSysStat): two entries at one path are the same when mode (type and
// permission bits), uid, gid and rdev match, and, for non-directories, size and mtime
// seconds match, and the nanoseconds are equal and non-zero or, both being zero (an archive
// may have truncated them), the content (a symlink's target) is equal. Unlike containerd we
// compare every xattr, not only security.capability, and always compare symlink targets.
// Synchronous; one call owns its diff directory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"

namespace bt::cache {

struct RootfsDiffRequest {
  std::optional<std::string> lower;  // the starting tree; nullopt: empty (a step on scratch)
  std::string upper;                 // the modified tree; only read
  std::string diff;                  // an empty directory that receives the changes
};

struct RootfsDiffStats {
  uint64_t copied = 0;       // non-directory entries copied into the diff
  uint64_t hardlinks = 0;    // names written as hard links to an entry copied before
  uint64_t whiteouts = 0;    // deletions
  uint64_t directories = 0;  // directories created in the diff
};

// Writes the diff: an added or changed non-directory is copied (content, mode, owner, times,
// xattrs except trusted.overlay.*); a deleted name becomes a whiteout (char device 0:0), one
// for a whole deleted tree; a directory holding a change, or whose own metadata changed, is
// created with the upper's metadata (applied after its content); a directory replaced by a
// non-directory is the new entry alone, which hides the whole lower tree; a non-directory
// replaced by a directory is the new directory, which overlayfs never merges with a lower
// non-directory. Names hard-linked together in the upper stay linked in the diff, including
// unchanged names linked to a changed one (overlayfs copies a link's target up too). A char
// device 0:0 that a step created in the upper is copied, and so reads back as a whiteout,
// as it would on overlayfs. Nothing is followed: upper and lower are walked with O_NOFOLLOW.
// Errors name the path, the call and the errno: kFailedPrecondition (diff not empty, or a
// tree changed during the walk), kPermissionDenied (whiteouts need CAP_MKNOD before Linux
// 5.8, foreign owners CAP_CHOWN), kIo. On error the diff dir holds a partial result that the
// caller must discard.
Result<RootfsDiffStats> WriteRootfsDiff(const RootfsDiffRequest& request);

}  // namespace bt::cache
