#include "frontend/instructions/suggest.h"

#include <algorithm>
#include <numeric>

#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

std::u32string Runes(std::string_view s) {
  std::u32string out;
  while (!s.empty()) {
    const unicode::DecodedRune r = unicode::DecodeRune(s);
    out.push_back(r.rune);
    s.remove_prefix(static_cast<std::size_t>(r.width));
  }
  return out;
}

// agext/levenshtein.Distance with default parameters: insert, delete and substitute cost 1.
std::size_t Distance(std::string_view a, std::string_view b) {
  const std::u32string x = Runes(a);
  const std::u32string y = Runes(b);
  std::vector<std::size_t> row(y.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= x.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= y.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (x[i - 1] == y[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[y.size()];
}

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// suggest.matchCase; only ASCII letters are uppercased (options are ASCII names).
std::string MatchCase(const std::string& option, std::string_view original) {
  if (original == unicode::ToLower(original)) return unicode::ToLower(option);
  if (original == AsciiUpper(original)) return AsciiUpper(option);
  return option;
}

}  // namespace

std::optional<std::string> SuggestName(std::string_view value,
                                       const std::vector<std::string>& options, SuggestCase match) {
  const bool insensitive = match == SuggestCase::kInsensitive;
  const std::string needle = insensitive ? unicode::ToLower(value) : std::string(value);
  std::optional<std::string> best;
  std::size_t best_distance = 3;  // suggest.Search: "same as hcl"
  for (const std::string& raw : options) {
    const std::string option = insensitive ? unicode::ToLower(raw) : raw;
    if (option == needle) return std::nullopt;
    const std::size_t d = Distance(needle, option);
    if (d < best_distance) {
      best = insensitive ? MatchCase(option, value) : option;
      best_distance = d;
    }
  }
  if (best && best->empty()) return std::nullopt;
  return best;
}

std::string WithSuggestion(std::string message, std::string_view value,
                           const std::vector<std::string>& options, SuggestCase match) {
  if (std::optional<std::string> hint = SuggestName(value, options, match)) {
    message += " (did you mean " + *hint + "?)";
  }
  return message;
}

}  // namespace bt::frontend
