// Sizes as docker/go-units RAMInBytes reads them ("128m", "1.5GiB", "64 kb", "100"): binary
// multipliers, a float number, an optional b/ib suffix. Used by RUN --mount=type=tmpfs,size=
// and by `buildtool prune --keep-storage`. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace bt::frontend {

// nullopt for anything RAMInBytes rejects.
std::optional<std::int64_t> RamInBytes(std::string_view text);

}  // namespace bt::frontend
