#include "cli/registry_access.h"

#include <cstdlib>

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

}  // namespace bt::cli
