// A layer tarball as a new committed snapshot: Prepare on the parent, ApplyLayer into its
// diff with the parent chain as the lower view, Commit. A layer that fails to apply leaves
// nothing: its half-written snapshot is removed (ApplyLayer's caller contract).
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "cache/snapshot/layer_apply.h"
#include "cache/snapshot/snapshot_store.h"

namespace bt::cache {

struct AppliedLayer {
  std::string snapshot_id;
  ApplyStats stats;
};

// Reads the layer from layer_fd (uncompressed, gzip or zstd). Errors are ApplyLayer's.
Result<AppliedLayer> ApplyLayerAsSnapshot(SnapshotStore& store,
                                          const std::optional<std::string>& parent, int layer_fd,
                                          const ApplyOptions& options);

}  // namespace bt::cache
