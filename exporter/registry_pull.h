// PullImage: an image from a registry into the content store and the local image store, as
// `docker pull` does: the manifest the reference names (an index is stored too and followed to
// the platform's manifest), then its config and layers, several at a time, each streamed into
// the store and kept only if its digest and size are the descriptor's. Blobs already in the
// store are not fetched again. The name (without digest) then points at what was pulled.
#pragma once

#include "base/result.h"
#include "cache/content_store.h"
#include "exporter/image_store.h"
#include "oci/image_resolver.h"
#include "oci/platform.h"
#include "oci/reference.h"
#include "oci/registry_client.h"

namespace bt::exporter {

// The descriptor the name now points at (an index or a manifest). Errors are the registry
// client's, kDataLoss for a blob that is not its digest, kNotFound for a platform the index
// lacks.
Result<oci::Descriptor> PullImage(cache::ContentStore& content, ImageStore& store,
                                  oci::RegistryClient& registry, const oci::Reference& ref,
                                  const oci::Platform& platform);

}  // namespace bt::exporter
