// StoreImageResolver: FROM resolved in the local image store (<root>/images), as docker looks
// in its own store before a registry, which it pulls from when it has to (registry_pull.h). A name finds the manifest index.json gives it; a name
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
#include "oci/registry_client.h"

namespace bt::exporter {

class StoreImageResolver : public oci::ImageResolver {
 public:
  // With a registry client, an image the store lacks is pulled into it first (with `always`,
  // every image is: --pull), as docker build does.
  explicit StoreImageResolver(std::string root_path, oci::RegistryClient* registry = nullptr,
                              bool always = false)
      : root_path_(std::move(root_path)), registry_(registry), always_(always) {}

  // kNotFound naming the image (and how to get it) when the store has no such name or
  // platform; kDataLoss / kInvalidArgument for blobs that are missing or do not parse.
  Result<oci::ResolvedImage> Resolve(const oci::Reference& ref,
                                     const oci::Platform& platform) override;

 private:
  Result<void> OpenStores();

  Result<oci::ResolvedImage> FromStore(const oci::Reference& ref, const oci::Platform& platform);

  std::string root_path_;
  oci::RegistryClient* registry_;
  bool always_;
  std::optional<ImageStore> store_;
  std::optional<cache::ContentStore> content_;
};

// The manifest of `platform` in an index: os and architecture must match, and the variant when
// both name one (arm/v7 is not arm/v6); nullopt when none does.
std::optional<oci::Descriptor> PickPlatform(const oci::ImageIndex& index,
                                            const oci::Platform& platform);

}  // namespace bt::exporter
