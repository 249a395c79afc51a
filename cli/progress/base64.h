// Standard base64 (RFC 4648 section 4, with padding), for log bytes that are not UTF-8 and so
// cannot travel as a JSON string. Pure function, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace bt::cli {

std::string Base64Encode(std::string_view bytes);

}  // namespace bt::cli
