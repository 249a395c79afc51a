// Platform: the os/architecture/variant an image or a build step is for (OCI image index
// `platform`), with containerd's normalization rules (x86_64 -> amd64, aarch64 -> arm64,
// armhf -> arm/v7, ...). Plain value; thread-safe.
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "base/result.h"

namespace bt::oci {

struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // "amd64", "arm64", "arm", ...
  std::string variant;       // "v7", "v8", or empty

  // "linux/amd64", "linux/arm/v7" (the variant only when set).
  std::string ToString() const;
  auto operator<=>(const Platform&) const = default;
};

// Parses "os/arch[/variant]", "arch" alone (os = linux) and normalizes it like containerd's
// platforms.Parse + Normalize. kInvalidArgument names the text and what is wrong.
Result<Platform> ParsePlatform(std::string_view text);

// The platform of the machine buildtool runs on (linux and the CPU it was built for).
Platform HostPlatform();

}  // namespace bt::oci
