// Names of kernel constants as config.json spells them: capabilities ("CAP_CHOWN") and
// resource limits ("RLIMIT_NOFILE"). Pure tables, no system calls; thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace bt::executor::runtime {

// The capability number for a name such as "CAP_CHOWN"; nullopt for an unknown name.
std::optional<int> CapabilityNumber(std::string_view name);
// The name of capability `number` ("CAP_CHOWN"); "" outside the known range.
std::string_view CapabilityName(int number);
// The highest capability number this runtime knows (CAP_LAST_CAP of its kernel headers).
int LastKnownCapability();

// The RLIMIT_* resource number for a name such as "RLIMIT_NOFILE"; nullopt when unknown.
std::optional<int> RlimitNumber(std::string_view name);

}  // namespace bt::executor::runtime
