// The seam through which typed instructions get their variables expanded. BuildKit's
// instructions hand a SingleWordExpander (frontend/dockerfile/instructions/commands.go) to
// the fields they want expanded; the dispatcher owns the environment and the shell lexer and
// builds the callbacks. Callbacks are called synchronously, in field order, on the caller's
// thread, and may fail: the first error stops the expansion and is returned unchanged.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bt::frontend {

// One word in, one word out (BuildKit's SingleWordExpander, i.e. Lex.ProcessWord).
using WordExpander = std::function<Result<std::string>(std::string_view word)>;

// One word in, the words a shell would split it into (Lex.ProcessWords); EXPOSE needs it.
using WordsExpander = std::function<Result<std::vector<std::string>>(std::string_view word)>;

}  // namespace bt::frontend
