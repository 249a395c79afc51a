// Paths inside the container's rootfs, resolved by the kernel with openat2(RESOLVE_IN_ROOT)
// from a rootfs fd (STYLE.md 2.9, crun's safe_openat): a symlink or ".." in the image can
// never lead a mount, a device node or a mask outside the rootfs. LexicallyClean is for the
// runtime (it allocates); the other functions run in the container child and do not.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bt::executor::runtime {

// "/a//b/./c/../d" -> "/a/b/d", as Go's filepath.Clean of an absolute path (".." stops at "/").
std::string LexicallyClean(std::string_view absolute_path);

// openat2(root_fd, path, flags | O_CLOEXEC) resolved in the root, magic links refused.
// `extra_resolve` adds RESOLVE_* bits (RESOLVE_NO_SYMLINKS). -1 with errno on failure.
int OpenInRoot(int root_fd, const char* path, int flags, std::uint64_t extra_resolve = 0);

// An O_PATH fd of directory `path` (clean, absolute), creating missing directories with
// mode 0755 one component at a time, each resolved in the root. -1 with errno on failure;
// a dangling symlink on the way fails with EEXIST rather than being followed out.
int MkdirAllInRoot(int root_fd, const char* path);

// An O_PATH fd of `path`, creating it (and its parent directories) when missing: an empty
// regular file when `as_file`, else a directory. -1 with errno on failure.
int OpenOrCreateInRoot(int root_fd, const char* path, bool as_file,
                       std::uint64_t extra_resolve = 0);

// Splits clean absolute `path` into its parent (into `parent`, size `parent_size`) and the
// last component (returned, pointing into `path`). nullptr for "/" or a too long path.
const char* SplitParent(const char* path, char* parent, std::size_t parent_size);

}  // namespace bt::executor::runtime
