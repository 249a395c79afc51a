// BuildImage: a build's result as an OCI image in the content store — one layer blob per
// snapshot of the result's chain (exported in parallel, each remembered for the next export),
// the image config with rootfs.diff_ids and history made to agree with the layers as BuildKit's
// exporter does (layers without history get a generic entry; an empty layer is kept, as the
// reference keeps it), and the manifest. Nothing here
// names the image or writes it anywhere: image_outputs.h does, from the BuiltImage.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cache/cache_root.h"
#include "exporter/layer_blob.h"
#include "oci/image_config.h"
#include "oci/manifest.h"

namespace bt::exporter {

struct ImageOptions {
  bool oci_media_types = true;  // false: Docker's v2 schema 2 types (docker load, older tools)
  LayerOptions layer;
  // SOURCE_DATE_EPOCH: the config's and the history's dates; with layer.clamp_mtime also the
  // files' (rewrite-timestamp). Absent: the build's own time.
  std::optional<std::int64_t> source_date_epoch;
  // The build's own time (nanoseconds since the epoch) when there is no SOURCE_DATE_EPOCH,
  // taken once per build so that all of its image outputs are the same image.
  std::int64_t build_time_ns = 0;
  std::map<std::string, std::string> labels;  // --label, over the Dockerfile's
  // Adds blobs to the build's lease (one write transaction), so that prune leaves them alone
  // (cache/prune.cc): called before a config or manifest is stored, and after the layers are,
  // which are then checked to be there still. Null: nothing is held (tests).
  std::function<Result<void>(const std::vector<oci::Digest>&)> hold;
};

struct BuiltImage {
  oci::Descriptor manifest;  // with the image's platform
  oci::Descriptor config;
  std::vector<oci::Descriptor> layers;
  std::string manifest_json;
  std::string config_json;
  // Every blob of the image, layers first, then config and manifest.
  std::vector<oci::Digest> Blobs() const;
  // The image whose config is `config_json` and whose manifest is `manifest` (its layers and
  // media type set; its config descriptor is made here): descriptors and bytes, nothing stored.
  static BuiltImage Describe(std::string config_media_type, std::string config_json,
                             oci::ImageManifest manifest);
};

// `snapshot` is the result's top snapshot (nullopt: an empty image, FROM scratch and nothing
// else); `config` the image config the frontend computed. kIo / kDataLoss from the layers
// and the content store.
Result<BuiltImage> BuildImage(cache::CacheRoot& root, const std::optional<std::string>& snapshot,
                              oci::ImageConfig config, const ImageOptions& options);

// The media type of a layer compressed so, in OCI's types or Docker's v2 ones.
std::string LayerMediaType(oci::LayerCompression compression, bool oci_media_types);

// RFC 3339 in UTC as Go marshals a time.Time: seconds, then a fraction without trailing zeros.
std::string FormatImageTime(std::int64_t seconds, std::int64_t nanos);

}  // namespace bt::exporter
