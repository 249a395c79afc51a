// "Did you mean ...?" hints for misspelled names, as BuildKit's util/suggest (error.go) gives
// them for unknown instructions, flags and --mount keys: the option closest to the input by
// Levenshtein distance (code points, unit costs), if that distance is below 3. Pure
// functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bt::frontend {

enum class SuggestCase {
  kSensitive,    // compare as written
  kInsensitive,  // compare lowercased; the hint takes the input's case (suggest.matchCase)
};

// suggest.Search: nullopt when no option is close enough, or when one equals `value` (the
// error was then about something else). Of several options at the same distance the first in
// `options` wins; BuildKit iterates a Go map there, so its choice among ties is random.
std::optional<std::string> SuggestName(std::string_view value,
                                       const std::vector<std::string>& options, SuggestCase match);

// suggest.WrapError: `message` plus " (did you mean X?)" when SuggestName finds X.
std::string WithSuggestion(std::string message, std::string_view value,
                           const std::vector<std::string>& options, SuggestCase match);

}  // namespace bt::frontend
