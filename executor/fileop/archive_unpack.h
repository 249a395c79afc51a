// ADD of a local archive: IsTarArchive sniffs a file as BuildKit's unpack.go isArchivePath
// does, and UnpackTar extracts it as moby/go-archive's chrootarchive.Untar does, chrooted into
// the destination directory, with RootDir's in-root resolution standing in for the
// chroot. Only tar and the gzip, bzip2, xz and zstd filters are enabled, all in-process
// (SECURITY.md case 25: a zip or 7z is a plain file). Stateless; thread-safe per destination.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "executor/fileop/root_dir.h"

namespace bt::executor {

// Whether the file at `fd` (read from its current offset) is a tar archive, compressed or
// not. kInternal only if libarchive lacks an in-process filter.
Result<bool> IsTarArchive(int fd);

struct UnpackOptions {
  std::optional<UidGid> owner;  // every entry's owner; absent: the archive's uid/gid
  std::string shown_archive;    // the archive's in-root source path, for errors
  std::string shown_dest;       // the destination's in-root path, for errors
};

// Extracts the archive read from `archive_fd` (from its current offset) into the directory
// `dest_dir_fd`, with go-archive's rules:
//  - the destination directory is the root of the extraction: entry names, absolute symlink
//    targets and hard-link targets all resolve inside it, following symlinks already there;
//  - a name or hard-link target that is absolute is taken from that root (the chroot clamps
//    it); one whose cleaned form still starts with ".." is refused (SECURITY.md decision 1:
//    refused, as in layer apply, where the chroot would clamp);
//  - parent directories the archive does not list are made 0755 (implied directories); an
//    existing entry is replaced unless both are directories, which merge; the "." entry
//    leaves the destination directory's own metadata alone;
//  - each entry gets the archive's uid/gid (or the owner given), xattrs (best effort), mode
//    with special bits, and times; directory times are set after all entries. Errors name the entry: kInvalidArgument (an entry leaving the destination,
// a type clash, a malformed archive), kIo. On error the destination holds a partial result.
Result<void> UnpackTar(int archive_fd, int dest_dir_fd, const UnpackOptions& options);

}  // namespace bt::executor
