// FlattenChain: materialises a committed snapshot chain as one plain directory tree, the
// tree overlayfs would show if it mounted the chain's diff dirs as lowerdirs. It is how the
// copy snapshotter (no overlayfs) gives an active snapshot its rootfs/ (snapshot_store.h).
// The entry-copying primitives below it are shared with rootfs_diff.h, which writes the
// reverse direction; both keep one format: committed snapshots stay overlay-form diffs.
//
// Every operation is relative to directory fds and never follows a symlink (O_NOFOLLOW,
// AT_SYMLINK_NOFOLLOW): a layer holding `etc -> /` cannot make a later layer's `etc/passwd`
// land outside the destination. Entries without an fd of their own (symlinks, device nodes,
// fifos) have their xattrs read and written through /proc/self/fd/<dir>/<name>, so /proc
// must be mounted. Functions are synchronous; one call owns its destination.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

#include "base/result.h"

namespace bt::cache {

// Materialises the chain into `dest`, which must be an empty directory: each diff dir in
// `diff_dirs` (topmost first, the order SnapshotStore::Chain gives) is applied bottom-up.
// A char device 0:0 deletes the name below it; a directory with trusted.overlay.opaque=y
// first clears what the layers below put in it; a directory over a directory merges; any
// other entry replaces what was there. Regular files (reflinked where the filesystem can),
// directories, symlinks, device nodes and fifos keep their mode bits (setuid, setgid and
// sticky included), owner, atime/mtime (with nanoseconds) and xattrs except
// trusted.overlay.*; entries hard-linked within one diff stay hard links. A directory gets
// its metadata after its content is written. The diff roots' own metadata is not copied:
// dest keeps what its creator gave it (overlayfs shows the upper root, never a lower one).
// Errors name the path, the call and the errno: kFailedPrecondition (dest not empty),
// kPermissionDenied (EPERM/EACCES: owners need CAP_CHOWN, device nodes CAP_MKNOD), kIo. On
// error dest holds a partial tree that the caller must discard.
Result<void> FlattenChain(const std::vector<std::string>& diff_dirs, const std::string& dest);

// ---- Entry-copying primitives (shared with rootfs_diff.cc) ----

struct Xattr {
  std::string name;
  std::string value;
  bool operator==(const Xattr&) const = default;
};
// An entry's extended attributes, sorted by name, never holding trusted.overlay.*: those
// belong to the overlay format of the tree that holds the entry, not to the entry.
using Xattrs = std::vector<Xattr>;

// The names in an open directory except "." and "..", in byte order. kIo on failure.
Result<std::vector<std::string>> ListDirNames(int dir_fd, const std::string& display);

// The xattrs of an open regular file or directory.
Result<Xattrs> ReadXattrsOfFd(int fd, const std::string& display);
// An entry named relative to an open directory, and how errors show it.
struct EntryRef {
  int dir_fd = -1;
  std::string name;     // one component
  std::string display;  // for messages: the full path
};

// The xattrs of an entry, never following it: for symlinks, device nodes and fifos, which
// cannot be opened for f*xattr calls.
Result<Xattrs> ReadXattrsAt(const EntryRef& entry);

// Copies all of the open file `in` into the empty open file `out`: a reflink where the
// filesystem shares blocks (btrfs, xfs), else copy_file_range in the kernel, else read/write.
// kIo naming `display`.
Result<void> CopyFileContent(int in, int out, const std::string& display);

// Creates `to` as a copy of the non-directory entry `from`, whose lstat is `st`: regular-file
// content (FICLONE, else copy_file_range, else read/write), a symlink's target (never
// followed), a device's, fifo's or socket's type and rdev; then owner, mode, xattrs and
// times. kFailedPrecondition when the source no longer matches `st` (it changed meanwhile);
// kAlreadyExists when `to` exists; other errors as FlattenChain's.
Result<void> CopyNonDirectory(const EntryRef& from, const struct stat& st, const EntryRef& to);

// Gives an open directory the owner, mode and times of `st` and exactly the xattrs `xattrs`
// (others are removed, trusted.overlay.* left alone). Call it once the directory's content
// is complete: writing entries changes its mtime.
Result<void> ApplyDirectoryMetadata(int dir_fd, const struct stat& st, const Xattrs& xattrs,
                                    const std::string& display);

}  // namespace bt::cache
