// A running build's scratch space: <root>/tmp/build-<lease id>, where its steps make mount
// points and flattened trees. The build removes it when it ends; a killed build leaves it,
// and prune reclaims every such directory whose lease is no longer live (the mounts inside it
// vanished with the killed build's private mount namespace).
#pragma once

#include <cstddef>
#include <string>

#include "base/result.h"
#include "cache/cache_root.h"
#include "cache/lease.h"

namespace bt::cache {

// Creates (when missing) and returns the scratch directory of the build holding `lease`.
Result<std::string> MakeBuildScratchDir(CacheRoot& root, const Lease& lease);

// Removes the scratch directories of builds whose lease is not live; returns how many.
Result<std::size_t> RemoveAbandonedScratchDirs(CacheRoot& root);

}  // namespace bt::cache
