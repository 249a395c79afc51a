// Go's time.ParseDuration, which BuildKit uses for the HEALTHCHECK --interval, --timeout,
// --start-period and --start-interval flags: a signed sequence of decimal numbers, each with
// an optional fraction and a unit (ns, us, µs, μs, ms, s, m, h), like "1h15m" or "-1.5s".
// Pure; thread-safe.
#pragma once

#include <chrono>
#include <string_view>

#include "base/result.h"

namespace bt::frontend {

// The duration in nanoseconds. Errors are kInvalidArgument with Go's text, the input quoted
// as Go's time package quotes it (bytes outside printable ASCII as \xNN):
// `time: invalid duration "x"`, `time: missing unit in duration "1"`,
// `time: unknown unit "d" in duration "1d"`. Values beyond int64 nanoseconds are invalid.
Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text);

}  // namespace bt::frontend
