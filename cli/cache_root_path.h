// Where the cache root is (ARCHITECTURE.md "The cache root"): --root DIR, else
// $BUILDTOOL_ROOT, else /var/lib/buildtool for root, else $XDG_DATA_HOME/buildtool
// (~/.local/share/buildtool when XDG_DATA_HOME is unset); a relative --root or
// $BUILDTOOL_ROOT is made absolute against the working directory.
#pragma once

#include <optional>
#include <string>

#include "cache/cache_root.h"

namespace bt::cli {

std::string CacheRootPath(const std::string& root_flag);

// Opens the root the flag names; on failure prints the error to stderr and returns nullopt.
std::optional<cache::CacheRoot> OpenCacheRootOrReport(
    const std::string& root_flag,
    cache::SnapshotterKind snapshotter = cache::SnapshotterKind::kOverlay);

}  // namespace bt::cli
