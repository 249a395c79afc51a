// PushImage: an image from the content store to a registry, as docker push does: every blob
// the registry's repository lacks (HEAD first) is uploaded, streamed from the store, several
// at a time; then the manifest goes under the reference's tag. A pulled base layer goes as
// the very blob that was pulled, so the registry finds it has it.
#pragma once

#include <map>
#include <string>

#include "base/result.h"
#include "cache/content_store.h"
#include "oci/manifest.h"
#include "oci/reference.h"
#include "oci/registry_client.h"

namespace bt::exporter {

struct PushReport {
  std::size_t uploaded = 0;  // blobs sent
  std::size_t mounted = 0;   // blobs linked from another repository of the registry
  std::size_t skipped = 0;   // blobs the registry had
  std::uint64_t bytes = 0;   // bytes sent
};

// `manifest_json` is the manifest's bytes (its digest is what the registry keeps).
// `mount_from` names, per blob, a repository of the same registry that has it (a base pulled
// from there): the registry is asked to mount it before anything is uploaded.
Result<PushReport> PushImage(const cache::ContentStore& content, oci::RegistryClient& registry,
                             const oci::Reference& ref, const std::string& manifest_json,
                             const std::string& media_type,
                             const std::map<oci::Digest, std::string>& mount_from = {});

}  // namespace bt::exporter
