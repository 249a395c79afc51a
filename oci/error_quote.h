// Values in oci/ errors come from registries, manifests and Dockerfiles: an error quotes at
// most a bounded prefix of them, so that a hostile multi-megabyte "digest" or "platform"
// never becomes a multi-megabyte message. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bt::oci {

// "\"" + the first max_bytes of text + ("..." when cut) + "\"".
inline std::string QuoteCapped(std::string_view text, std::size_t max_bytes = 100) {
  std::string out = "\"";
  out.append(text.substr(0, max_bytes));
  if (text.size() > max_bytes) out += "...";
  return out + "\"";
}

}  // namespace bt::oci
