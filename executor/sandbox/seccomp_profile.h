// The moby default seccomp profile (SECURITY.md A3), as the runtime-spec `linux.seccomp`
// object buildtool writes into a RUN step's config.json. moby's profile is conditional (rules
// that apply only with a capability or on an architecture); this resolves the conditions for
// one step, as BuildKit's withDefaultProfile does through moby's seccomp.GetDefaultProfile, so
// the runtime (ours, runc or crun) gets a plain allowlist. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

namespace bt::executor {

// The profile for a process whose bounding set is `capability_bits` (bit n = capability n;
// Docker's default set is 0xa80425fb) on `arch`, a Go GOARCH name. "amd64" and "arm64" get
// their architecture list and architecture-specific rules; any other name gets neither, so the
// runtime filters only its native architecture with the architecture-neutral rules.
nlohmann::json DefaultSeccompProfile(std::uint64_t capability_bits, std::string_view arch);

}  // namespace bt::executor
