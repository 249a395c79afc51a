#include "solver/image_source.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "cache/snapshot/layer_apply.h"
#include "cache/snapshot/layer_memo.h"
#include "cache/snapshot/layer_snapshot.h"
#include "oci/image_config.h"
#include "oci/manifest.h"
#include "solver/active_snapshot.h"

namespace bt::solver {
namespace {

cache::LayerEncoding EncodingOf(oci::LayerCompression c) {
  switch (c) {
    case oci::LayerCompression::kGzip:
      return cache::LayerEncoding::kGzip;
    case oci::LayerCompression::kZstd:
      return cache::LayerEncoding::kZstd;
    case oci::LayerCompression::kUncompressed:
      break;
  }
  return cache::LayerEncoding::kPlain;
}

}  // namespace

Result<std::vector<StepOutput>> UnpackImage(const StepContext& ctx, const ir::ImageSource& image,
                                            cache::CacheRoot& root) {
  const std::string what = "FROM " + image.reference;
  // Held before being read, so that a prune (after an rmi) cannot take them meanwhile; each
  // read then finds its blob or says it is missing.
  if (ctx.hold_blobs) BT_TRY(ctx.hold_blobs({image.manifest_digest}));
  BT_ASSIGN_OR_RETURN(
      const std::string text,
      root.content().ReadAll(image.manifest_digest, oci::kMaxManifestBytes, what + ": manifest"));
  BT_ASSIGN_OR_RETURN(const oci::ImageManifest manifest, oci::ParseManifest(text));
  if (ctx.hold_blobs) {
    std::vector<oci::Digest> blobs{manifest.config.digest};
    for (const oci::Descriptor& l : manifest.layers) blobs.push_back(l.digest);
    BT_TRY(ctx.hold_blobs(blobs));
  }
  BT_ASSIGN_OR_RETURN(
      const std::string config_text,
      root.content().ReadAll(manifest.config.digest, oci::kMaxConfigBytes, what + ": config"));
  BT_ASSIGN_OR_RETURN(const oci::ImageConfig config, oci::ParseImageConfig(config_text));
  if (config.diff_ids.size() != manifest.layers.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     what + ": layers from manifest don't match image configuration (the config lists " +
                         std::to_string(config.diff_ids.size()) + " layers and the manifest " +
                         std::to_string(manifest.layers.size()) + ")");
  }
  std::optional<std::string> parent;
  std::optional<StepOutput> top;
  cache::SnapshotStore& store = root.snapshots();
  for (const oci::Descriptor& layer : manifest.layers) {
    if (ctx.Stopping()) return MakeError(ErrorCode::kCancelled, "the build is stopping");
    if (!oci::LayerCompressionOf(layer.media_type)) {
      return MakeError(ErrorCode::kInvalidArgument, what + ": layer " + layer.digest.ToString() +
                                                        " has media type " + layer.media_type +
                                                        ", not a tar layer");
    }
    Result<UniqueFd> opened = root.content().Open(layer.digest);
    if (!opened) {
      return std::move(opened).error().Wrap(what + ": layer " + layer.digest.ToString() +
                                            " (load or pull the image again)");
    }
    UniqueFd blob = std::move(*opened);
    BT_ASSIGN_OR_RETURN(ActiveSnapshot active,
                        ActiveSnapshot::Prepare(ctx, parent, cache::PrepareFor::kDiff));
    BT_ASSIGN_OR_RETURN(cache::LayerTarget target,
                        cache::OpenLayerTarget(store, active.id(), parent));
    cache::ApplyOptions options;
    options.max_bytes = kMaxLayerBytes;
    options.max_entries = kMaxLayerEntries;
    const std::size_t index = static_cast<std::size_t>(&layer - manifest.layers.data());
    cache::LayerStream stream(blob.get(), EncodingOf(*oci::LayerCompressionOf(layer.media_type)));
    Result<cache::ApplyStats> applied =
        cache::ApplyLayerStream(stream, target.diff.get(), target.lower_fds, options);
    if (!applied)
      return std::move(applied).error().Wrap(what + ": layer " + layer.digest.ToString());
    // The compressed digest was checked when the blob was stored; the uncompressed one (what
    // the config lists, and what an image built on this one will list) only now.
    BT_ASSIGN_OR_RETURN(const oci::Digest diff_id, stream.Finish());
    if (diff_id != config.diff_ids[index]) {
      return MakeError(ErrorCode::kDataLoss, what + ": layer " + layer.digest.ToString() +
                                                 " unpacks to " + diff_id.ToString() +
                                                 ", and the config says " +
                                                 config.diff_ids[index].ToString());
    }
    cache::LayerMemo memo;
    memo.digest = layer.digest;
    memo.size = layer.size;
    memo.media_type = layer.media_type;
    memo.empty = applied->entries == 0;
    memo.diff_id = diff_id;
    BT_TRY(cache::WriteLayerMemo(cache::LayerMemoPath(store, active.id(), "layer-origin"), memo));
    BT_ASSIGN_OR_RETURN(StepOutput out, active.Commit());
    parent = out.snapshot_id;
    top = out;
  }
  if (!top) {
    // An image without layers: an empty tree, as a snapshot on scratch.
    BT_ASSIGN_OR_RETURN(ActiveSnapshot empty,
                        ActiveSnapshot::Prepare(ctx, std::nullopt, cache::PrepareFor::kDiff));
    BT_ASSIGN_OR_RETURN(StepOutput out, empty.Commit());
    top = out;
  }
  return std::vector<StepOutput>{*top};
}

}  // namespace bt::solver
