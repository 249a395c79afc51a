#include "cache/imported_cache.h"

#include "cache/cache_export_format.h"
#include "oci/error_quote.h"

namespace bt::cache {
namespace {

Error Invalid(const std::string& why) {
  return MakeError(ErrorCode::kInvalidArgument, "imported cache: " + why);
}

}  // namespace

Result<ImportedCache> ImportedCache::Parse(std::string_view manifest_json, std::string_view config_json) {
  BT_ASSIGN_OR_RETURN(const oci::ImageManifest manifest, oci::ParseManifest(manifest_json));
  if (manifest.config.media_type != kCacheConfigMediaType) {
    return Invalid("the manifest's config is " + oci::QuoteCapped(manifest.config.media_type) +
                   ", not a buildtool cache config");
  }
  if (oci::Digest::Of(config_json) != manifest.config.digest) {
    return Invalid("the config is not the one the manifest names");
  }
  BT_ASSIGN_OR_RETURN(const CacheConfig config, ParseCacheConfig(config_json));
  std::map<oci::Digest, ImportedLayer> layers;
  for (const oci::Descriptor& d : manifest.layers) {
    if (!oci::LayerCompressionOf(d.media_type)) {
      return Invalid("layer " + d.digest.ToString() + " has media type " + oci::QuoteCapped(d.media_type) +
                     ", not a tar layer");
    }
    auto annotation = d.annotations.find(std::string(kUncompressedAnnotation));
    if (annotation == d.annotations.end()) {
      return Invalid("layer " + d.digest.ToString() + " does not say what it unpacks to (" +
                     std::string(kUncompressedAnnotation) + ")");
    }
    Result<oci::Digest> diff_id = oci::Digest::Parse(annotation->second);
    if (!diff_id) {
      return Invalid("layer " + d.digest.ToString() + ": " + std::string(kUncompressedAnnotation) + " " +
                     oci::QuoteCapped(annotation->second) + " is not a sha256 digest");
    }
    layers.emplace(d.digest, ImportedLayer{d, *diff_id});
  }
  for (const ExportedLayer& l : config.layers) {
    if (!layers.count(l.blob)) {
      return Invalid("the config names layer " + l.blob.ToString() + ", which the manifest does not list");
    }
  }
  ImportedCache out;
  for (const ExportedRecord& r : config.records) {
    std::vector<std::vector<ImportedLayer>> outputs;
    for (int top : r.outputs) {
      std::vector<ImportedLayer> chain;
      for (const oci::Digest& blob : ChainOf(config, top)) chain.push_back(layers.at(blob));
      outputs.push_back(std::move(chain));
    }
    out.records_.emplace(r.key, std::move(outputs));
  }
  return out;
}

std::optional<std::vector<std::vector<ImportedLayer>>> ImportedCache::Lookup(const oci::Digest& key) const {
  auto it = records_.find(key);
  if (it == records_.end()) return std::nullopt;
  return it->second;
}

}  // namespace bt::cache
