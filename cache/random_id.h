// RandomHexId: an unguessable name (lease ids, snapshot ids) from getrandom(2), as lowercase
// hex. Thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include "base/result.h"

namespace bt::cache {

// `bytes` random bytes as 2*bytes hex digits. kIo when getrandom fails.
Result<std::string> RandomHexId(std::size_t bytes);

}  // namespace bt::cache
