// CloneDiff: makes `dest` (an empty directory: a new snapshot's diff) hold the same entries as
// the committed diff `src`, sharing file data through hard links. Used to stack a layer on a
// different parent without copying it (COPY --link's MergeOp): committed diffs are immutable,
// so two snapshots may share their inodes. Directories are recreated with their mode, owner,
// times and extended attributes (an opaque directory stays opaque); every other entry —
// regular file, symlink, whiteout device, FIFO — is linked. Nothing is followed: entries are
// reached through directory descriptors opened with O_NOFOLLOW. kIo naming the entry.
#pragma once

#include <string>

#include "base/result.h"

namespace bt::cache {

Result<void> CloneDiff(const std::string& src, const std::string& dest);

}  // namespace bt::cache
