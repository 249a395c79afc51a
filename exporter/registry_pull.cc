#include "exporter/registry_pull.h"

#include <tbb/parallel_for.h>

#include <set>

#include "exporter/store_resolver.h"
#include "oci/image_config.h"

namespace bt::exporter {
namespace {

// Stores a fetched manifest, whose digest the registry client has checked.
Result<void> PutBytes(cache::ContentStore& content, const oci::Digest& digest, std::string_view bytes) {
  BT_ASSIGN_OR_RETURN(const oci::Digest stored, content.Put(bytes));
  if (stored != digest) {
    return MakeError(ErrorCode::kDataLoss, "manifest " + digest.ToString() + " does not match its digest");
  }
  return {};
}

Result<void> FetchBlob(cache::ContentStore& content, oci::RegistryClient& registry,
                       const oci::Reference& ref, const oci::Descriptor& d) {
  if (content.Contains(d.digest)) return {};
  const std::string ingest_ref = "pull " + d.digest.ToString();
  BT_ASSIGN_OR_RETURN(cache::IngestWriter writer, content.BeginIngest(ingest_ref));
  if (content.Contains(d.digest)) return {};  // another process pulled it meanwhile
  const auto size = static_cast<std::uint64_t>(d.size);
  if (writer.offset() > size) {
    BT_TRY(writer.Abort());
    BT_ASSIGN_OR_RETURN(writer, content.BeginIngest(ingest_ref));
  }
  // An earlier pull that was cut off left writer.offset() bytes: the download goes on from
  // there (the commit below checks the whole blob's digest either way).
  Result<void> got = registry.GetBlob(ref, d.digest, writer.offset(), size,
                                      [&](std::string_view chunk) { return writer.Write(chunk); });
  if (!got) {
    // What arrived over a failing network is kept for the next pull to resume; after any
    // other failure (bytes the blob cannot have, a local error) it is dropped.
    if (got.error().code != ErrorCode::kUnavailable) (void)writer.Abort();
    return got;
  }
  Result<oci::Digest> committed = writer.Commit(static_cast<std::uint64_t>(d.size), d.digest);
  if (!committed) return std::move(committed).error().Wrap(ref.FamiliarString() + ": blob " + d.digest.ToString());
  return {};
}

}  // namespace

Result<oci::Descriptor> PullImage(cache::ContentStore& content, ImageStore& store,
                                  oci::RegistryClient& registry, const oci::Reference& ref,
                                  const oci::Platform& platform) {
  BT_ASSIGN_OR_RETURN(const oci::FetchedManifest top, registry.GetManifest(ref));
  BT_TRY(PutBytes(content, top.digest, top.bytes));
  oci::Descriptor named{top.media_type, top.digest, static_cast<std::int64_t>(top.bytes.size()), {}, {}};
  oci::FetchedManifest manifest = top;
  std::set<oci::Digest> seen{top.digest};
  for (int depth = 0; oci::IsIndexMediaType(manifest.media_type); ++depth) {
    if (depth >= oci::kMaxIndexDepth) {
      return MakeError(ErrorCode::kInvalidArgument, ref.FamiliarString() + ": indexes nested deeper than " +
                                                        std::to_string(oci::kMaxIndexDepth));
    }
    BT_ASSIGN_OR_RETURN(const oci::ImageIndex index, oci::ParseIndex(manifest.bytes));
    const std::optional<oci::Descriptor> pick = PickPlatform(index, platform);
    if (!pick) {
      return MakeError(ErrorCode::kNotFound, "image " + ref.FamiliarString() + " has no " + platform.ToString() + " variant");
    }
    if (!seen.insert(pick->digest).second) {
      return MakeError(ErrorCode::kInvalidArgument, ref.FamiliarString() + ": index " +
                                                        manifest.digest.ToString() + " leads back to " +
                                                        pick->digest.ToString() + " (a cycle)");
    }
    BT_ASSIGN_OR_RETURN(manifest, registry.GetManifest(ref, pick->digest));
    if (manifest.bytes.size() != static_cast<std::uint64_t>(pick->size)) {
      return MakeError(ErrorCode::kDataLoss, ref.FamiliarString() + ": manifest " + pick->digest.ToString() +
                                                 " is not the " + std::to_string(pick->size) + " bytes its index says");
    }
    BT_TRY(PutBytes(content, manifest.digest, manifest.bytes));
  }
  BT_ASSIGN_OR_RETURN(const oci::ImageManifest parsed, oci::ParseManifest(manifest.bytes));
  // Sizes come from the manifest: a config or layer over its cap is refused before a byte of
  // it is fetched.
  if (static_cast<std::uint64_t>(parsed.config.size) > oci::kMaxConfigBytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     ref.FamiliarString() + ": its config is " + std::to_string(parsed.config.size) +
                         " bytes, over the limit of " + std::to_string(oci::kMaxConfigBytes));
  }
  for (const oci::Descriptor& layer : parsed.layers) {
    if (static_cast<std::uint64_t>(layer.size) > oci::kMaxLayerBlobBytes) {
      return MakeError(ErrorCode::kInvalidArgument,
                       ref.FamiliarString() + ": layer " + layer.digest.ToString() + " is " +
                           std::to_string(layer.size) + " bytes, over the limit of " +
                           std::to_string(oci::kMaxLayerBlobBytes));
    }
  }
  // The config first: an image whose config does not parse, or lists another number of
  // layers than its manifest, is refused before its layers are downloaded.
  BT_TRY(FetchBlob(content, registry, ref, parsed.config));
  BT_ASSIGN_OR_RETURN(const std::string config_bytes, content.ReadAll(parsed.config.digest, oci::kMaxConfigBytes, ref.FamiliarString() + ": config"));
  BT_ASSIGN_OR_RETURN(const oci::ImageConfig config, oci::ParseImageConfig(config_bytes));
  if (config.diff_ids.size() != parsed.layers.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     ref.FamiliarString() + ": layers from manifest don't match image configuration (" +
                         std::to_string(parsed.layers.size()) + " layers, " +
                         std::to_string(config.diff_ids.size()) + " diff_ids)");
  }
  std::vector<Result<void>> results(parsed.layers.size());
  tbb::parallel_for(std::size_t{0}, parsed.layers.size(), [&](std::size_t i) {
    results[i] = FetchBlob(content, registry, ref, parsed.layers[i]);
  });
  for (Result<void>& r : results) {
    if (!r) return std::move(r).error();
  }
  if (!ref.tag.empty()) {
    oci::Reference name = ref;
    name.digest.reset();
    BT_TRY(store.Tag(name, named));
  }
  return named;
}

}  // namespace bt::exporter
