// `buildtool du [--root DIR] [--verbose]`: what the cache root holds, like
// `docker buildx du`: one line per cache record (most recently used first) and totals.
#pragma once

#include <string>

namespace bt::cli {

enum class DuDetail { kSummary, kVerbose };
// Returns the exit code: 0, or 1 after printing the error.
int RunDu(const std::string& root_flag, DuDetail detail);

enum class DuCheck { kReport, kRepair };
// `du --check [--repair]`: prints every damage found (cache/integrity.h); exit code 0 when
// the root is clean (or was repaired), 1 when damage remains or the check failed.
int RunDuCheck(const std::string& root_flag, DuCheck mode);

}  // namespace bt::cli
