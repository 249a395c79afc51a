// StoreImageResolver: FROM resolved in the local image store (<root>/images), as docker looks
// in its own store before a registry. A name finds the manifest index.json gives it; a name
// with a digest finds that manifest in the content store whatever it is named; an index is
// followed to the manifest of the asked platform. The store is opened at the first FROM that
// names an image, so builds FROM scratch never touch it. Not thread-safe (the frontend resolves
// from one thread).
#pragma once

#include <optional>
#include <string>

#include "cache/content_store.h"
#include "exporter/image_store.h"
#include "oci/image_resolver.h"

namespace bt::exporter {

class StoreImageResolver : public oci::ImageResolver {
 public:
  explicit StoreImageResolver(std::string root_path) : root_path_(std::move(root_path)) {}

  // kNotFound naming the image (and how to get it) when the store has no such name or
  // platform; kDataLoss / kInvalidArgument for blobs that are missing or do not parse.
  Result<oci::ResolvedImage> Resolve(const oci::Reference& ref,
                                     const oci::Platform& platform) override;

 private:
  Result<void> OpenStores();

  std::string root_path_;
  std::optional<ImageStore> store_;
  std::optional<cache::ContentStore> content_;
};

// The manifest of `platform` in an index: os and architecture must match, and the variant when
// both name one (arm/v7 is not arm/v6); nullopt when none does.
std::optional<oci::Descriptor> PickPlatform(const oci::ImageIndex& index,
                                            const oci::Platform& platform);

}  // namespace bt::exporter
