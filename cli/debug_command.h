// `buildtool debug ...`: views of the pipeline's intermediate forms, for people and tests.
#pragma once

#include <string>

#include "cli/build_flags.h"

namespace bt::cli {

// `debug ast FILE`: prints BuildKit's parser dump of FILE ("-" for stdin). Returns the
// process exit code: 0, or 1 after printing the error.
int RunDebugAst(const std::string& path);

enum class IrFormat { kJson, kDot };
// `debug ir [build flags] CONTEXT`: lowers the Dockerfile and prints the IR. Base images are
// not resolved yet (no registry client or image store exists): each is taken with an empty
// config and no pinned digest, and a note on stderr says so.
int RunDebugIr(const BuildFlags& flags, IrFormat format);

}  // namespace bt::cli
