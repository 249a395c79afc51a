// ExportLayer: one snapshot's diff as an image layer blob in the content store. The diff is
// written as a tar (TreeTar, overlay whiteouts as OCI's), hashed for its diffID, compressed and
// hashed again for the blob digest as it streams into the store: one pass, no temporary tar.
// The result is remembered next to the snapshot (<root>/snapshots/<id>/layer-<compression>), so
// exporting the same snapshot again compresses nothing; a remembered blob that is no longer in
// the content store (pruned) is made again. Thread-safe across snapshots: several layers of an
// image are exported at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "cache/cache_root.h"
#include "oci/digest.h"
#include "oci/manifest.h"

namespace bt::exporter {

struct LayerOptions {
  oci::LayerCompression compression = oci::LayerCompression::kGzip;
  int level = -1;                       // -1: the compressor's default
  bool force = false;                   // recompress even when a blob is remembered
  std::optional<std::int64_t> clamp_mtime;  // rewrite-timestamp: SOURCE_DATE_EPOCH
};

struct LayerBlob {
  oci::Digest digest;   // of the blob as stored (compressed)
  std::int64_t size = 0;
  oci::Digest diff_id;  // of the uncompressed tar
  bool empty = false;   // the tar holds no entry: BuildKit leaves such layers out
  oci::LayerCompression compression = oci::LayerCompression::kGzip;
};

// kIo naming the path for a failed read or write; kDataLoss when the store refuses the blob.
Result<LayerBlob> ExportLayer(cache::CacheRoot& root, const std::string& snapshot_id,
                              const LayerOptions& options);

}  // namespace bt::exporter
