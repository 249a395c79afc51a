// How the CLI reaches registries: the registry client's options from the command line
// (--insecure-registry) and the user's logins (oci/credentials.h, docker's config file).
#pragma once

#include <string>
#include <vector>

#include "oci/registry_client.h"

namespace bt::cli {

oci::RegistryOptions RegistryAccess(const std::vector<std::string>& insecure_registries);

}  // namespace bt::cli
