// The directory walk behind ContextScanner::Scan (cache/context_scanner.h). Directories are
// walked in parallel on oneTBB tasks, and the entries of a large directory in parallel
// chunks; each task records what it found in its directory's own records, and the nodes are
// assembled afterwards in one fixed order (cache/context_assembly.h), so the result never
// depends on thread timing. Internal to bt_cache.
#pragma once

#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "cache/context_scanner.h"

namespace bt::cache {

// Walks the directory open at `root` and returns the ContextTree's nodes, the root first.
// Adds what it did to *stats. kIo naming the relative path of the first entry, in the order
// above, that could not be read; entries that vanish during the walk are left out.
Result<std::vector<ContextNode>> WalkContext(UniqueFd root, const ContextScanOptions& options,
                                             ScanStats* stats);

}  // namespace bt::cache
