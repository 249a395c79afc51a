// `buildtool debug ...`: views of the pipeline's intermediate forms, for people and tests.
#pragma once

#include <string>

namespace bt::cli {

// `debug ast FILE`: prints BuildKit's parser dump of FILE ("-" for stdin). Returns the
// process exit code: 0, or 1 after printing the error.
int RunDebugAst(const std::string& path);

}  // namespace bt::cli
