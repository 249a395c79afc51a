#include "exporter/cache_export.h"

#include <algorithm>
#include <map>

#include <tbb/parallel_for.h>

#include "cache/cache_export_format.h"
#include "oci/manifest.h"

namespace bt::exporter {

Result<BuiltImage> BuildCacheManifest(cache::CacheRoot& root, const std::vector<CacheExportRecord>& records,
                                      const CacheExportOptions& options) {
  // Every snapshot of every result chain once, parents before children.
  std::vector<std::string> snapshots;   // layer index -> snapshot id
  std::vector<int> parents;             // layer index -> parent layer index
  std::map<std::string, int> index_of;  // snapshot id -> layer index
  cache::CacheConfig config;
  // In key order, so that the layers' order, and so the digests, do not depend on the caller's.
  std::vector<const CacheExportRecord*> sorted;
  for (const CacheExportRecord& r : records) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(),
            [](const CacheExportRecord* a, const CacheExportRecord* b) { return a->key < b->key; });
  for (const CacheExportRecord* record : sorted) {
    const CacheExportRecord& r = *record;
    if (r.outputs.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "cache record " + r.key.ToString() + " has no outputs");
    }
    cache::ExportedRecord exported{r.key, {}, r.created};
    for (const std::optional<std::string>& top : r.outputs) {
      if (!top) {
        exported.outputs.push_back(-1);
        continue;
      }
      BT_ASSIGN_OR_RETURN(std::vector<std::string> chain, root.snapshots().Chain(*top));
      int parent = -1;
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {  // the bottom first
        auto [pos, added] = index_of.emplace(*it, static_cast<int>(snapshots.size()));
        if (added) {
          snapshots.push_back(*it);
          parents.push_back(parent);
        }
        parent = pos->second;
      }
      exported.outputs.push_back(parent);
    }
    config.records.push_back(std::move(exported));
  }
  // The layer blobs, each on its own thread, as an image's layers are made.
  std::vector<Result<LayerBlob>> blobs(snapshots.size(), Result<LayerBlob>(LayerBlob{}));
  tbb::parallel_for(std::size_t{0}, snapshots.size(), [&](std::size_t i) {
    blobs[i] = ExportLayer(root, snapshots[i], options.layer);
  });
  oci::ImageManifest manifest;
  manifest.media_type = std::string(oci::media_type::kOciManifest);
  std::map<oci::Digest, bool> listed;  // a blob two snapshots share is one manifest layer
  for (std::size_t i = 0; i < blobs.size(); ++i) {
    if (!blobs[i]) return std::move(blobs[i]).error();
    const LayerBlob& b = *blobs[i];
    config.layers.push_back(cache::ExportedLayer{b.digest, parents[i]});
    if (!listed.emplace(b.digest, true).second) continue;
    oci::Descriptor d;
    d.media_type = LayerMediaType(b.compression, /*oci_media_types=*/true);
    d.digest = b.digest;
    d.size = b.size;
    d.annotations[std::string(cache::kUncompressedAnnotation)] = b.diff_id.ToString();
    manifest.layers.push_back(std::move(d));
  }
  BuiltImage image = BuiltImage::Describe(std::string(cache::kCacheConfigMediaType),
                                          cache::SerializeCacheConfig(config), std::move(manifest));
  if (options.hold) {
    BT_TRY(options.hold(image.Blobs()));
    // A prune between a layer's commit and the hold may have taken it.
    for (const oci::Descriptor& l : image.layers) {
      if (!root.content().Contains(l.digest)) {
        return MakeError(ErrorCode::kUnavailable, "cache layer " + l.digest.ToString() +
                                                      " was pruned during the export: export again");
      }
    }
  }
  BT_TRY(root.content().Put(image.config_json));
  BT_TRY(root.content().Put(image.manifest_json));
  return image;
}

}  // namespace bt::exporter
