// How progress output writes times: durations for people in BuildKit's precisions, and
// instants for programs in RFC 3339. Pure functions, thread-safe.
#pragma once

#include <chrono>
#include <string>

namespace bt::cli {

// "%.1fs": BuildKit's precision for DONE lines and timers ("2.3s").
std::string FormatSeconds(std::chrono::nanoseconds duration);

// The timestamp BuildKit puts before each log line (progressui trace.update): seconds since
// the step started, with 3 decimals under 10s, 2 under 100s, else 1 ("0.123", "12.35").
std::string FormatLogOffset(std::chrono::nanoseconds offset);

// RFC 3339 in UTC with all nine fraction digits, "2024-05-01T12:00:03.120000000Z". Fixed
// width (Go's RFC3339Nano trims zeros) so the strings also sort as the instants do.
std::string FormatRfc3339Nano(std::chrono::system_clock::time_point time);

}  // namespace bt::cli
