// One line of comma-separated values, read as BuildKit reads `--mount` and `--device` values:
// tonistiigi/go-csvvalue's Fields with its defaults (',' separator, strict quotes, no space
// trimming), which behaves like Go's encoding/csv on a single record. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bt::frontend {

// The fields of `line`; a field may be quoted ("a,b" and "" for a quote inside quotes). One
// trailing "\n" or "\r\n" is ignored. Errors (kInvalidArgument) carry encoding/csv's words:
// "EOF" for an empty line, `parse error on line 1, column N: bare " in non-quoted-field`, and
// `parse error on line 1, column N: extraneous or missing " in quoted-field` (N is 1-based,
// counted in bytes).
Result<std::vector<std::string>> SplitCsvFields(std::string_view line);

}  // namespace bt::frontend
