// The JSON (exec) form of RUN, CMD, COPY, ...: whether an argument text is a JSON array of
// strings, decided exactly as BuildKit's parseJSON does it with Go's encoding/json, because
// the answer changes how the instruction is parsed. Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bt::frontend {

enum class JsonArrayKind {
  kStrings,     // a valid JSON array whose elements are all strings
  kNotJson,     // not a valid JSON array: the caller falls back to the shell form
  kNotStrings,  // a valid JSON array with a non-string element: an error for the caller
};

struct JsonArray {
  JsonArrayKind kind = JsonArrayKind::kNotJson;
  std::vector<std::string> elements;  // decoded; set only for kStrings
};

// `text` must already have its leading whitespace removed. Go's semantics are kept: invalid
// UTF-8 and lone surrogates decode to U+FFFD, nesting deeper than 10000 is invalid, and a
// number that overflows float64 anywhere makes Unmarshal fail (kNotJson), not kNotStrings.
JsonArray ParseJsonArray(std::string_view text);

}  // namespace bt::frontend
