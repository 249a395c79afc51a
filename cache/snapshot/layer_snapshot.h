// A layer tarball as a new committed snapshot: Prepare on the parent, ApplyLayer into its
// diff with the parent chain as the lower view, Commit. A layer that fails to apply leaves
// nothing: its half-written snapshot is removed (ApplyLayer's caller contract).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "cache/snapshot/layer_apply.h"
#include "cache/snapshot/snapshot_store.h"

namespace bt::cache {

struct AppliedLayer {
  std::string snapshot_id;
  ApplyStats stats;
};

// The diff directories a layer is applied against: the snapshot's own (to write) and its
// parent chain's, top first (to look through), each opened with O_NOFOLLOW.
struct LayerTarget {
  UniqueFd diff;
  std::vector<UniqueFd> lowers;
  std::vector<int> lower_fds;  // lowers' descriptors, for ApplyLayer
};
Result<LayerTarget> OpenLayerTarget(const SnapshotStore& store, const std::string& id,
                                    const std::optional<std::string>& parent);

// Reads the layer from layer_fd (uncompressed, gzip or zstd). Errors are ApplyLayer's.
Result<AppliedLayer> ApplyLayerAsSnapshot(SnapshotStore& store,
                                          const std::optional<std::string>& parent, int layer_fd,
                                          const ApplyOptions& options);

}  // namespace bt::cache
