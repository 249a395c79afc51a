// How the CLI reaches registries: the registry client's options from the command line
// (--insecure-registry) and the user's logins (oci/credentials.h, docker's config file).
#pragma once

#include <string>
#include <vector>

#include <map>

#include "cache/content_store.h"
#include "exporter/image_store.h"
#include "oci/registry_client.h"

namespace bt::cli {

// The published limits may be changed from the environment, in whole seconds:
// BUILDTOOL_REGISTRY_READ_TIMEOUT (a transfer receiving nothing this long is abandoned, 60)
// and BUILDTOOL_REGISTRY_DEADLINE (the longest any one request may run, 3600).
// kInvalidArgument naming the variable for a value that is not a positive number.
Result<oci::RegistryOptions> RegistryAccess(const std::vector<std::string>& insecure_registries);

// For a push to `target`: the blobs that stored images of the same registry (other
// repositories) have, each with one such repository, for cross-repository mounts.
std::map<oci::Digest, std::string> MountSources(const cache::ContentStore& content,
                                                const exporter::ImageStore& store,
                                                const oci::Reference& target);

}  // namespace bt::cli
