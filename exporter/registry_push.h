// PushImage: an image from the content store to a registry, as docker push does: every blob
// the registry's repository lacks (HEAD first) is uploaded, streamed from the store, several
// at a time; then the manifest goes under the reference's tag. A pulled base layer goes as
// the very blob that was pulled, so the registry finds it has it.
#pragma once

#include "base/result.h"
#include "cache/content_store.h"
#include "oci/manifest.h"
#include "oci/reference.h"
#include "oci/registry_client.h"

namespace bt::exporter {

struct PushReport {
  std::size_t uploaded = 0;  // blobs sent
  std::size_t skipped = 0;   // blobs the registry had
  std::uint64_t bytes = 0;   // bytes sent
};

// `manifest_json` is the manifest's bytes (its digest is what the registry keeps).
Result<PushReport> PushImage(const cache::ContentStore& content, oci::RegistryClient& registry,
                             const oci::Reference& ref, const std::string& manifest_json,
                             const std::string& media_type);

}  // namespace bt::exporter
