// The few fmt verbs BuildKit uses to write history `created_by` texts: %q and %v of a
// []string, and time.Duration's String(). Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace bt::frontend {

// fmt.Sprintf("%q", []string{...}): ["a" "b c"].
std::string GoQuotedList(const std::vector<std::string>& items);
// fmt.Sprintf("%v", []string{...}): [a b c].
std::string GoPlainList(const std::vector<std::string>& items);
// time.Duration.String(): "0s", "1.5s", "1m30s", "2h0m0s", "500ms", "1µs".
std::string GoDuration(std::chrono::nanoseconds d);

}  // namespace bt::frontend
