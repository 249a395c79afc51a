// The blobs the local image store (<root>/images, exporter/image_store.h) reaches: every
// manifest or index its index.json names, and what those name in turn (configs, layers,
// nested manifests). Prune keeps them. Read straight from the OCI layout files, so the cache
// needs nothing of the exporter; a blob that is missing or does not parse ends that branch.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "base/result.h"
#include "cache/content_store.h"
#include "oci/digest.h"
#include "oci/manifest.h"

namespace bt::cache {

// Everything one image (a manifest or an index) reaches, itself included; a missing blob ends
// its branch.
std::set<oci::Digest> BlobsOf(const ContentStore& content, const oci::Descriptor& image);

// <root_path>/images/index.json (nullopt when the store does not exist yet); kDataLoss when it
// does not parse. The image store (exporter/image_store.h) and prune read it through this.
Result<std::optional<oci::ImageIndex>> ReadImageStoreIndex(const std::string& root_path);

// kDataLoss when index.json exists and does not parse (prune must not guess then); an absent
// store reaches nothing.
Result<std::set<oci::Digest>> ImageStoreBlobs(const std::string& root_path,
                                              const ContentStore& content);

}  // namespace bt::cache
