#include "exporter/image_build.h"

#include <time.h>

#include <algorithm>
#include <chrono>

#include <tbb/parallel_for.h>

namespace bt::exporter {
namespace {

// Stores `bytes` as a blob (unless present) and describes it.
Result<oci::Descriptor> PutBlob(cache::CacheRoot& root, std::string media_type,
                                std::string_view bytes) {
  oci::Descriptor d;
  d.media_type = std::move(media_type);
  BT_ASSIGN_OR_RETURN(d.digest, root.content().Put(bytes));
  d.size = static_cast<std::int64_t>(bytes.size());
  return d;
}

// Makes history and layers agree, as BuildKit's normalizeLayersAndHistory: history entries
// that claim a layer beyond the layers there are become empty; layers beyond the history get a
// generic entry. An empty layer (a WORKDIR that already existed) stays, as the reference
// (docker 20.10's BuildKit, ../shared/conformance/semantics workdir-relative) keeps it: its
// check for the empty gzip layer matches only Go's own gzip bytes, which its blobs are not.
// `layer_times[i]` is when layer i's snapshot was made: the date of its history entry, and of
// the metadata-only entries after it, so that a rebuild found in the cache makes the very same
// image (BuildKit dates them by the layers' own times too).
void NormalizeHistory(std::vector<oci::HistoryEntry>& history, std::vector<LayerBlob>& layers,
                      const std::vector<std::string>& layer_times, const std::string& now) {
  std::size_t claimed = 0;
  for (const oci::HistoryEntry& h : history) claimed += h.empty_layer ? 0 : 1;
  if (claimed > layers.size()) {
    std::size_t seen = 0;
    for (oci::HistoryEntry& h : history) {
      if (seen >= layers.size()) h.empty_layer = true;
      if (!h.empty_layer) ++seen;
    }
    claimed = layers.size();
  }
  for (std::size_t i = claimed; i < layers.size(); ++i) {
    oci::HistoryEntry h;
    h.created_by = "buildkit.exporter.image.v0";  // no instruction is known for it
    h.comment = "buildkit.exporter.image.v0";
    history.push_back(std::move(h));
  }
  std::size_t layer = 0;
  std::string last = layer_times.empty() ? now : layer_times.front();
  for (oci::HistoryEntry& h : history) {
    if (!h.empty_layer && layer < layer_times.size()) last = layer_times[layer++];
    if (h.created.empty()) h.created = last;
  }
}

}  // namespace

std::string FormatImageTime(std::int64_t seconds, std::int64_t nanos) {
  const time_t t = static_cast<time_t>(seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (nanos != 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos));
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "Z";
}

std::string LayerMediaType(oci::LayerCompression c, bool oci_types) {
  switch (c) {
    case oci::LayerCompression::kGzip:
      return std::string(oci_types ? oci::media_type::kOciLayerGzip
                                   : oci::media_type::kDockerLayerGzip);
    case oci::LayerCompression::kZstd:
      // Docker's types have no zstd layer; BuildKit writes the OCI one in both cases.
      return std::string(oci::media_type::kOciLayerZstd);
    case oci::LayerCompression::kUncompressed:
      return std::string(oci_types ? oci::media_type::kOciLayer : oci::media_type::kDockerLayer);
  }
  return {};
}

BuiltImage BuiltImage::Describe(std::string config_media_type, std::string config_json,
                                oci::ImageManifest manifest) {
  BuiltImage image;
  image.config_json = std::move(config_json);
  image.config.media_type = std::move(config_media_type);
  image.config.digest = oci::Digest::Of(image.config_json);
  image.config.size = static_cast<std::int64_t>(image.config_json.size());
  manifest.config = image.config;
  image.layers = manifest.layers;
  image.manifest_json = oci::SerializeManifest(manifest);
  image.manifest.media_type = manifest.media_type;
  image.manifest.digest = oci::Digest::Of(image.manifest_json);
  image.manifest.size = static_cast<std::int64_t>(image.manifest_json.size());
  return image;
}

std::vector<oci::Digest> BuiltImage::Blobs() const {
  std::vector<oci::Digest> out;
  for (const oci::Descriptor& l : layers) out.push_back(l.digest);
  out.push_back(config.digest);
  out.push_back(manifest.digest);
  return out;
}

Result<BuiltImage> BuildImage(cache::CacheRoot& root, const std::optional<std::string>& snapshot,
                              oci::ImageConfig config, const ImageOptions& options) {
  std::vector<std::string> chain;
  if (snapshot) {
    BT_ASSIGN_OR_RETURN(chain, root.snapshots().Chain(*snapshot));
    std::reverse(chain.begin(), chain.end());  // the bottom layer first
  }
  // Layers are independent: each is read, compressed and hashed on its own thread.
  std::vector<Result<LayerBlob>> exported(chain.size(), Result<LayerBlob>(LayerBlob{}));
  tbb::parallel_for(std::size_t{0}, chain.size(), [&](std::size_t i) {
    exported[i] = ExportLayer(root, chain[i], options.layer);
  });
  std::vector<LayerBlob> layers;
  for (Result<LayerBlob>& r : exported) {
    if (!r) return std::move(r).error();
    layers.push_back(*r);
  }
  std::string now;
  if (options.source_date_epoch) {
    now = FormatImageTime(*options.source_date_epoch, 0);
  } else {
    now = FormatImageTime(options.build_time_ns / 1000000000, options.build_time_ns % 1000000000);
  }
  std::vector<std::string> layer_times;
  {
    BT_ASSIGN_OR_RETURN(cache::ReadTxn txn, root.db().BeginRead());
    for (const std::string& id : chain) {
      BT_ASSIGN_OR_RETURN(const std::optional<cache::SnapshotRecord> record, txn.GetSnapshot(id));
      if (!record) {
        layer_times.push_back(now);
        continue;
      }
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          record->created.time_since_epoch())
                          .count();
      layer_times.push_back(FormatImageTime(ns / 1000000000, ns % 1000000000));
    }
  }
  NormalizeHistory(config.history, layers, layer_times, now);
  if (options.source_date_epoch) {
    // Every date of the image, the base's history included, as BuildKit does with the epoch.
    for (oci::HistoryEntry& h : config.history) h.created = now;
    config.created = now;
  } else {
    // The image is as old as its newest layer: the same when the whole build was cached.
    config.created = layer_times.empty() ? now : layer_times.back();
  }
  for (const auto& [key, value] : options.labels) config.config.labels[key] = value;
  config.diff_ids.clear();
  for (const LayerBlob& l : layers) config.diff_ids.push_back(l.diff_id);

  oci::ImageManifest manifest;
  manifest.media_type = std::string(options.oci_media_types ? oci::media_type::kOciManifest
                                                            : oci::media_type::kDockerManifest);
  for (const LayerBlob& l : layers) {
    oci::Descriptor d;
    d.media_type = LayerMediaType(l.compression, options.oci_media_types);
    d.digest = l.digest;
    d.size = l.size;
    manifest.layers.push_back(d);
  }
  BuiltImage image = BuiltImage::Describe(
      std::string(options.oci_media_types ? oci::media_type::kOciConfig : oci::media_type::kDockerConfig),
      oci::SerializeImageConfig(config), std::move(manifest));

  if (options.hold) {
    // Every blob of the image in one transaction, before the config and manifest are stored
    // and before anything relies on the layers.
    BT_TRY(options.hold(image.Blobs()));
    // A prune between a layer's commit and the hold may have taken it: make it again (the
    // same snapshot gives the same bytes), now that its digest is held.
    for (std::size_t i = 0; i < layers.size(); ++i) {
      if (root.content().Contains(layers[i].digest)) continue;
      LayerOptions again = options.layer;
      again.force = true;
      BT_ASSIGN_OR_RETURN(const LayerBlob remade, ExportLayer(root, chain[i], again));
      if (remade.digest != layers[i].digest) {
        return MakeError(ErrorCode::kUnavailable, "layer of snapshot " + chain[i] +
                                                      " was pruned during the export and came "
                                                      "out different: export again");
      }
    }
  }
  BT_ASSIGN_OR_RETURN(image.config, PutBlob(root, image.config.media_type, image.config_json));
  BT_ASSIGN_OR_RETURN(image.manifest, PutBlob(root, image.manifest.media_type, image.manifest_json));
  image.manifest.platform = config.platform;
  return image;
}

}  // namespace bt::exporter
