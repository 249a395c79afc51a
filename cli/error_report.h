// How an Error reaches the user on stderr: `FILE:LINE: message`, then the offending source
// lines when the error points into a file we read, then the context lines, outermost first.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace bt::cli {

// "FILE:LINE: error: CONTEXT: MESSAGE" (or "error: ..." without a location), then the quoted
// lines of the Dockerfile. `source` is the text of the file named by error.where (empty when
// not available).
std::string FormatError(const Error& error, std::string_view source);

}  // namespace bt::cli
