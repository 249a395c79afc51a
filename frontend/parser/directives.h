// Parser directives (`# syntax=`, `# escape=`, `# check=`): comment lines at the very top of
// a Dockerfile, read exactly as BuildKit's DirectiveParser reads them. Pure; thread-safe.
#pragma once

#include <string_view>

#include "base/result.h"
#include "frontend/parser/ast.h"

namespace bt::frontend {

// Reads the directives at the top of `text` (a leading BOM already removed). Directives end
// at the first line that is not one. Errors (kInvalidArgument, `where` set to the line): the
// same directive twice, an escape other than '\' or '`'.
Result<Directives> ParseDirectives(std::string_view text);

}  // namespace bt::frontend
