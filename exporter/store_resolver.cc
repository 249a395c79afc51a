#include "exporter/store_resolver.h"

#include <sys/stat.h>

#include <cerrno>

#include "exporter/registry_pull.h"
#include "oci/manifest.h"

namespace bt::exporter {
namespace {


}  // namespace

std::optional<oci::Descriptor> PickPlatform(const oci::ImageIndex& index,
                                            const oci::Platform& platform) {
  for (const oci::Descriptor& d : index.manifests) {
    if (!d.platform) continue;
    if (d.platform->os != platform.os || d.platform->architecture != platform.architecture) {
      continue;
    }
    if (!platform.variant.empty() && !d.platform->variant.empty() &&
        platform.variant != d.platform->variant) {
      continue;
    }
    return d;
  }
  return std::nullopt;
}

Result<void> StoreImageResolver::OpenStores() {
  if (store_) return {};
  // The first build on a new root resolves its FROM before the root is opened (and made).
  if (::mkdir(root_path_.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoError("mkdir", root_path_, errno);
  }
  BT_ASSIGN_OR_RETURN(ImageStore store, ImageStore::Open(root_path_));
  BT_ASSIGN_OR_RETURN(cache::ContentStore content, cache::ContentStore::Open(root_path_));
  store_ = std::move(store);
  content_ = std::move(content);
  return {};
}

Result<oci::ResolvedImage> StoreImageResolver::Resolve(const oci::Reference& ref,
                                                       const oci::Platform& platform) {
  BT_TRY(OpenStores());
  if (registry_ == nullptr) return FromStore(ref, platform);
  if (!always_) {
    Result<oci::ResolvedImage> stored = FromStore(ref, platform);
    if (stored || stored.error().code != ErrorCode::kNotFound) return stored;
  }
  BT_ASSIGN_OR_RETURN(const oci::Descriptor pulled,
                      PullImage(*content_, *store_, *registry_, ref, platform));
  oci::Reference pinned = ref;
  pinned.digest = pulled.digest;  // what was pulled, even if the tag moves meanwhile
  return FromStore(pinned, platform);
}

Result<oci::ResolvedImage> StoreImageResolver::FromStore(const oci::Reference& ref,
                                                         const oci::Platform& platform) {
  const std::string name = ref.ToString();
  oci::Descriptor top;
  if (ref.digest) {
    top.digest = *ref.digest;
    BT_ASSIGN_OR_RETURN(const std::string text,
                        content_->ReadAll(top.digest, oci::kMaxManifestBytes, name + ": manifest"));
    // What it is, from its own mediaType: an index or a manifest.
    top.media_type = oci::ParseIndex(text) ? std::string(oci::media_type::kOciIndex)
                                           : std::string(oci::media_type::kOciManifest);
  } else {
    BT_ASSIGN_OR_RETURN(const std::optional<StoredImage> stored, store_->Find(ref));
    if (!stored) {
      return MakeError(ErrorCode::kNotFound,
                       "image " + ref.FamiliarString() + " is not in the local image store (" +
                           store_->path() +
                           "): build it with -t, add it with `buildtool load` "
                           "or `buildtool import`, or pull it");
    }
    top = stored->manifest;
  }
  oci::Descriptor manifest_desc = top;
  for (int depth = 0; oci::IsIndexMediaType(manifest_desc.media_type); ++depth) {
    if (depth >= oci::kMaxIndexDepth) {
      return MakeError(ErrorCode::kInvalidArgument,
                       name + ": indexes nested deeper than " + std::to_string(oci::kMaxIndexDepth));
    }
    BT_ASSIGN_OR_RETURN(
        const std::string text,
        content_->ReadAll(manifest_desc.digest, oci::kMaxManifestBytes, name + ": index"));
    BT_ASSIGN_OR_RETURN(const oci::ImageIndex index, oci::ParseIndex(text));
    std::optional<oci::Descriptor> pick = PickPlatform(index, platform);
    if (!pick) {
      return MakeError(ErrorCode::kNotFound, "image " + ref.FamiliarString() + " has no " +
                                                 platform.ToString() + " variant");
    }
    manifest_desc = *pick;
  }
  BT_ASSIGN_OR_RETURN(
      const std::string text,
      content_->ReadAll(manifest_desc.digest, oci::kMaxManifestBytes, name + ": manifest"));
  BT_ASSIGN_OR_RETURN(const oci::ImageManifest manifest, oci::ParseManifest(text));
  BT_ASSIGN_OR_RETURN(
      const std::string config_text,
      content_->ReadAll(manifest.config.digest, oci::kMaxConfigBytes, name + ": config"));
  BT_ASSIGN_OR_RETURN(oci::ImageConfig config, oci::ParseImageConfig(config_text));
  oci::ResolvedImage resolved;
  resolved.reference = ref;
  resolved.manifest_digest = manifest_desc.digest;
  resolved.config = std::move(config);
  return resolved;
}

}  // namespace bt::exporter
