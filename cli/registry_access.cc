#include "cli/registry_access.h"

namespace bt::cli {

oci::RegistryOptions RegistryAccess(const std::vector<std::string>& insecure_registries) {
  oci::RegistryOptions options;
  options.insecure_hosts.insert(insecure_registries.begin(), insecure_registries.end());
  const oci::CredentialStore store = oci::CredentialStore::FromEnvironment();
  options.credentials = [store](const std::string& host) { return store.Get(host); };
  return options;
}

}  // namespace bt::cli
