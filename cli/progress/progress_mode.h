// The `--progress` modes of `buildtool build`, with BuildKit's names (progressui.DisplayMode):
// parsing the flag, and resolving `auto` from what the output stream is. Plain values; no state.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace bt::cli {

enum class ProgressMode {
  kAuto,     // tty on a terminal, else plain
  kTty,      // a live view redrawn in place
  kPlain,    // BuildKit's plain text, one line per change, for CI logs
  kQuiet,    // nothing
  kRawJson,  // one JSON object per event, for programs
};

// kInvalidArgument for anything but the five names (case-sensitive, as BuildKit); the message
// lists the valid values.
Result<ProgressMode> ParseProgressMode(std::string_view text);

// The flag value that ParseProgressMode accepts for the mode.
std::string_view ProgressModeName(ProgressMode mode);

// What `auto` looks at: the output stream and the environment's TERM.
struct OutputTraits {
  bool is_terminal = false;
  std::string term;  // $TERM; empty when unset
};

// `auto` becomes tty when the output is a terminal whose TERM is not "dumb", else plain; other
// modes are returned unchanged.
ProgressMode ResolveProgressMode(ProgressMode mode, const OutputTraits& output);

}  // namespace bt::cli
