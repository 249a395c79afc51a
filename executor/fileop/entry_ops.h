// EntryRef and the system calls file actions make on one directory entry: owner, mode, times,
// xattrs, contents, removal. Every call works relative to an open directory fd and never
// follows a symlink in the entry's own name (AT_SYMLINK_NOFOLLOW, lchown/lsetxattr forms),
// so a link left in a tree cannot redirect a chmod or chown to its target (SECURITY.md case
// 23). Stateless; the fds are borrowed.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <ctime>
#include <string>

#include "base/result.h"
#include "executor/fileop/root_dir.h"

namespace bt::executor {

// The entry `name` in the open directory `dir_fd`; name "." is that directory itself.
// `shown` is its in-root path for error messages.
struct EntryRef {
  int dir_fd = -1;
  std::string name;
  std::string shown;
};

// Each applies to the open file `fd` when it is >= 0 (cheaper, and immune to renames), else
// to the entry without following it.
Result<void> SetOwner(const EntryRef& e, int fd, UidGid owner);
Result<void> SetMode(const EntryRef& e, int fd, mode_t mode);  // not for symlinks
Result<void> SetTimes(const EntryRef& e, int fd, const struct timespec& atime,
                      const struct timespec& mtime);

// Copies the extended attributes of `from` onto `to`, best effort as BuildKit's file backend
// (its xattr error handler logs and goes on): a name the destination refuses is skipped.
// trusted.overlay.* is never copied: on a snapshot's diff directory it would change how
// overlayfs reads the tree.
void CopyXattrs(const EntryRef& from, const EntryRef& to);

// Copies all of `from` (a regular file) into `to` (an empty file), with copy_file_range
// where the file systems allow it.
Result<void> CopyContents(int from, int to, const std::string& shown);

// Removes the entry and, for a directory, everything below it; never follows a symlink. A
// missing entry is success (os.RemoveAll).
Result<void> RemoveEntry(const EntryRef& e);

// "/proc/self/fd/N/name": the path form of an entry for the l*xattr calls that have no *at
// form. The final component is never followed by those calls.
std::string ProcPath(const EntryRef& e);

}  // namespace bt::executor
