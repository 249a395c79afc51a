// `buildtool du [--root DIR] [--verbose]`: what the cache root holds, like
// `docker buildx du`: one line per cache record (most recently used first) and totals.
#pragma once

#include <string>

namespace bt::cli {

enum class DuDetail { kSummary, kVerbose };
// Returns the exit code: 0, or 1 after printing the error.
int RunDu(const std::string& root_flag, DuDetail detail);

}  // namespace bt::cli
