// ParseStrictJson: JSON from a registry, a loaded archive or any other untrusted source, parsed
// the way a document that decides what gets trusted must be. Beyond RFC 8259's grammar it
// refuses an object that names a key twice: parsers disagree on which value wins (Go's
// encoding/json keeps the last, others the first), which is how a manifest could show one
// layer list to a verifier and another to an unpacker (moby GHSA-7w47-v4xv-5crg).
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace bt::oci {

// kInvalidArgument "WHAT: ..." for text that is not JSON or that repeats a key in an object.
// Instantiated for nlohmann::json and nlohmann::ordered_json.
template <class JsonType>
Result<JsonType> ParseStrictJson(std::string_view text, std::string_view what);

}  // namespace bt::oci
