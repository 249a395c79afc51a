// The filesystem outputs of a build (`--output type=local,dest=DIR` and `type=tar,dest=F|-`):
// the target's final tree — the snapshot chain as overlayfs would show it, whiteouts applied —
// written as plain files or as one tar stream. A one-layer chain is read in place; a deeper
// one is flattened first (cache/snapshot/chain_flatten.h) into a temporary directory.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "cache/snapshot/snapshot_store.h"

namespace bt::exporter {

// Writes the tree of `snapshot` (nullopt: the empty tree) into `dest`, creating it (and its
// parents) when missing. Entries already in `dest` that the tree also has are replaced (a
// directory over a directory merges); others are left alone, as BuildKit's local exporter
// does. The tree is flattened in a hidden directory beside `dest`, so that the final moves
// are renames on one filesystem. kIo naming the path.
Result<void> ExportToDirectory(cache::SnapshotStore& store,
                               const std::optional<std::string>& snapshot,
                               const std::string& dest);

// Writes the tree of `snapshot` as a tar stream to `fd` (see exporter/tree_tar.h), using
// `tmp_dir` for a flattened copy when the chain is deeper than one layer.
Result<void> ExportToTar(cache::SnapshotStore& store, const std::optional<std::string>& snapshot,
                         int fd, const std::string& tmp_dir);

}  // namespace bt::exporter
