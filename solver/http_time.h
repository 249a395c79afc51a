// ParseHttpTime: an HTTP date as Go's http.ParseTime reads it, which is how BuildKit turns
// Last-Modified into the mtime of an ADD <url> file (source/http/source.go save()). It tries
// http.TimeFormat ("Mon, 02 Jan 2006 15:04:05 GMT"), time.RFC850 ("Monday, 02-Jan-06
// 15:04:05 MST") and time.ANSIC ("Mon Jan _2 15:04:05 2006") in that order, with time.Parse's
// leniencies: names in any case, a space matching a run of spaces, one-digit hours, a
// fraction of a second the layout does not mention. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace bt::solver {

// Nanoseconds since the epoch (UTC); nullopt when `text` fits none of the three layouts or
// names a day, hour, minute or second out of range.
std::optional<std::int64_t> ParseHttpTime(std::string_view text);

}  // namespace bt::solver
