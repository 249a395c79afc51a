// Reading a user's input file whole: a path, or "-" for standard input.
#pragma once

#include <string>

#include "base/result.h"

namespace bt::cli {

// kNotFound / kIo with the path and errno on failure.
Result<std::string> ReadSourceFile(const std::string& path);

}  // namespace bt::cli
