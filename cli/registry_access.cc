#include "cli/registry_access.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "cache/image_roots.h"

namespace bt::cli {

namespace {

// A positive number of seconds from the environment variable `name`, if set.
Result<std::optional<std::chrono::seconds>> SecondsFromEnvironment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::optional<std::chrono::seconds>();
  const std::string text(value);
  if (text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos || std::stol(text) == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(name) + "=" + text.substr(0, 40) + ": want a positive number of seconds");
  }
  return std::optional<std::chrono::seconds>(std::stol(text));
}

}  // namespace

Result<oci::RegistryOptions> RegistryAccess(const std::vector<std::string>& insecure_registries) {
  oci::RegistryOptions options;
  BT_ASSIGN_OR_RETURN(const auto read_timeout, SecondsFromEnvironment("BUILDTOOL_REGISTRY_READ_TIMEOUT"));
  BT_ASSIGN_OR_RETURN(const auto deadline, SecondsFromEnvironment("BUILDTOOL_REGISTRY_DEADLINE"));
  if (read_timeout) options.read_timeout = *read_timeout;
  if (deadline) options.request_deadline = *deadline;
  options.insecure_hosts.insert(insecure_registries.begin(), insecure_registries.end());
  // BUILDTOOL_CERTS_DIR: one more place for per-registry CAs (<dir>/<HOST[:PORT]>/ca.crt),
  // looked at first.
  if (const char* dir = std::getenv("BUILDTOOL_CERTS_DIR"); dir != nullptr && *dir != '\0') {
    options.certs_dirs.insert(options.certs_dirs.begin(), dir);
  }
  options.warn = [](const std::string& message) { std::fprintf(stderr, "warning: %s\n", message.c_str()); };
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
