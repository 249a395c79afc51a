#include "cli/registry_access.h"

#include <cstdlib>

#include "cache/image_roots.h"

namespace bt::cli {

oci::RegistryOptions RegistryAccess(const std::vector<std::string>& insecure_registries) {
  oci::RegistryOptions options;
  options.insecure_hosts.insert(insecure_registries.begin(), insecure_registries.end());
  // BUILDTOOL_CERTS_DIR: one more place for per-registry CAs (<dir>/<HOST[:PORT]>/ca.crt),
  // looked at first.
  if (const char* dir = std::getenv("BUILDTOOL_CERTS_DIR"); dir != nullptr && *dir != '\0') {
    options.certs_dirs.insert(options.certs_dirs.begin(), dir);
  }
  const oci::CredentialStore store = oci::CredentialStore::FromEnvironment();
  options.credentials = [store](const std::string& host) { return store.Get(host); };
  return options;
}

std::map<oci::Digest, std::string> MountSources(const cache::ContentStore& content,
                                                const exporter::ImageStore& store,
                                                const oci::Reference& target) {
  std::map<oci::Digest, std::string> out;
  Result<std::vector<exporter::StoredImage>> all = store.List();
  if (!all) return out;  // mounts only save an upload: without them, everything is uploaded
  for (const exporter::StoredImage& image : *all) {
    Result<oci::Reference> ref = oci::ParseReference(image.name);
    if (!ref || ref->domain != target.domain || ref->path == target.path) continue;
    for (const oci::Digest& d : cache::BlobsOf(content, image.manifest)) out.emplace(d, ref->path);
  }
  return out;
}

}  // namespace bt::cli
