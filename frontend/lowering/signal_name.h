// STOPSIGNAL values as moby's signal.ParseSignal accepts them: a number in 1..64, or a Linux
// signal name with or without the SIG prefix (SIGRTMIN+n included). Pure; thread-safe.
#pragma once

#include <string_view>

#include "base/result.h"

namespace bt::frontend {

// kInvalidArgument "invalid signal: X" when the signal is unknown.
Result<void> CheckSignal(std::string_view signal);

}  // namespace bt::frontend
