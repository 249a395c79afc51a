#include "exporter/registry_pull.h"

#include <tbb/parallel_for.h>

#include "exporter/store_resolver.h"

namespace bt::exporter {
namespace {

// Stores `bytes` as blob `digest` (checked) unless it is there already.
Result<void> PutBytes(cache::ContentStore& content, const oci::Digest& digest, std::string_view bytes) {
  if (content.Contains(digest)) return {};
  BT_ASSIGN_OR_RETURN(cache::IngestWriter writer, content.BeginIngest(digest.ToString()));
  if (writer.offset() != 0) {
    BT_TRY(writer.Abort());
    BT_ASSIGN_OR_RETURN(writer, content.BeginIngest(digest.ToString()));
  }
  BT_TRY(writer.Write(bytes));
  return writer.Commit(bytes.size(), digest).has_value() ? Result<void>()
                                                         : MakeError(ErrorCode::kDataLoss, "manifest " + digest.ToString() + " does not match its digest");
}

Result<void> FetchBlob(cache::ContentStore& content, oci::RegistryClient& registry,
                       const oci::Reference& ref, const oci::Descriptor& d) {
  if (content.Contains(d.digest)) return {};
  const std::string ingest_ref = "pull " + d.digest.ToString();
  BT_ASSIGN_OR_RETURN(cache::IngestWriter writer, content.BeginIngest(ingest_ref));
  if (content.Contains(d.digest)) return {};  // another process pulled it meanwhile
  if (writer.offset() != 0) {
    // Resuming with Range is for later: start over.
    BT_TRY(writer.Abort());
    BT_ASSIGN_OR_RETURN(writer, content.BeginIngest(ingest_ref));
  }
  std::uint64_t received = 0;
  Result<void> got = registry.GetBlob(ref, d.digest, [&](std::string_view chunk) -> Result<void> {
    received += chunk.size();
    if (received > static_cast<std::uint64_t>(d.size)) {
      return MakeError(ErrorCode::kDataLoss, ref.FamiliarString() + ": blob " + d.digest.ToString() +
                                                 " is longer than its " + std::to_string(d.size) + " bytes");
    }
    return writer.Write(chunk);
  });
  if (!got) {
    (void)writer.Abort();
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
  for (int depth = 0; oci::IsIndexMediaType(manifest.media_type); ++depth) {
    if (depth >= 8) return MakeError(ErrorCode::kInvalidArgument, ref.FamiliarString() + ": indexes nested deeper than 8");
    BT_ASSIGN_OR_RETURN(const oci::ImageIndex index, oci::ParseIndex(manifest.bytes));
    const std::optional<oci::Descriptor> pick = PickPlatform(index, platform);
    if (!pick) {
      return MakeError(ErrorCode::kNotFound, "image " + ref.FamiliarString() + " has no " + platform.ToString() + " variant");
    }
    BT_ASSIGN_OR_RETURN(manifest, registry.GetManifest(ref, pick->digest));
    BT_TRY(PutBytes(content, manifest.digest, manifest.bytes));
  }
  BT_ASSIGN_OR_RETURN(const oci::ImageManifest parsed, oci::ParseManifest(manifest.bytes));
  std::vector<oci::Descriptor> blobs{parsed.config};
  blobs.insert(blobs.end(), parsed.layers.begin(), parsed.layers.end());
  std::vector<Result<void>> results(blobs.size());
  tbb::parallel_for(std::size_t{0}, blobs.size(), [&](std::size_t i) {
    results[i] = FetchBlob(content, registry, ref, blobs[i]);
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
