// BuildCacheManifest: cache records as an exportable cache (issue 8): an ordinary OCI image
// manifest whose layers are the layer blobs of the records' results and whose config is the
// cache config document (cache/cache_export_format.h). Being an image manifest, it is written
// to an OCI layout (--cache-to type=local) and pushed to any registry (type=registry) by the
// image code paths, unchanged.
//
// Each result snapshot's chain becomes layers, bottom first, each snapshot once however many
// records share it; a layer blob is the one the image exporter makes for that snapshot (the
// memo next to the snapshot spares compressing it again). Layer descriptors carry the diffID
// as containerd.io/uncompressed, as BuildKit's cache layers do, so an importer knows what each
// unpacks to before it fetches it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cache/cache_root.h"
#include "exporter/image_build.h"
#include "exporter/layer_blob.h"
#include "oci/digest.h"

namespace bt::exporter {

struct CacheExportRecord {
  oci::Digest key;  // a portable key (solver/cache_key.h ComputePortableCacheKeys)
  // Per op output, the result's top snapshot; nullopt for an empty root filesystem.
  std::vector<std::optional<std::string>> outputs;
  std::string created;  // RFC 3339
};

struct CacheExportOptions {
  LayerOptions layer;
  // Holds the blobs in the build's lease before the config and manifest are stored (as
  // ImageOptions::hold).
  std::function<Result<void>(const std::vector<oci::Digest>&)> hold;
};

// kInvalidArgument for a record without outputs; errors of the snapshots and the content store.
Result<BuiltImage> BuildCacheManifest(cache::CacheRoot& root, const std::vector<CacheExportRecord>& records,
                                      const CacheExportOptions& options);

}  // namespace bt::exporter
