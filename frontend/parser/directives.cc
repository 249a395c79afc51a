#include "frontend/parser/directives.h"

#include <optional>
#include <string>

#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

// RE2's \s: [\t\n\f\r ].
bool IsRegexSpace(char c) { return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiAlnum(char c) { return IsAsciiLetter(c) || (c >= '0' && c <= '9'); }

struct RawDirective {
  std::string name;  // lowercased
  std::string value;
};

// BuildKit matches `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` after the `#`. The lazy value
// with greedy spaces around it means: the value is what follows `=` with surrounding spaces
// trimmed, except that an all-space remainder yields its last character (the greedy `\s*`
// gives one back so that `.+?` can match).
std::optional<RawDirective> MatchDirective(std::string_view line) {
  std::size_t i = 0;
  if (i >= line.size() || !IsAsciiLetter(line[i])) return std::nullopt;
  while (i < line.size() && IsAsciiAlnum(line[i])) ++i;
  RawDirective d;
  d.name = unicode::ToLower(line.substr(0, i));
  while (i < line.size() && IsRegexSpace(line[i])) ++i;
  if (i >= line.size() || line[i] != '=') return std::nullopt;
  std::string_view rest = line.substr(i + 1);
  if (rest.empty()) return std::nullopt;
  std::size_t start = 0;
  while (start < rest.size() && IsRegexSpace(rest[start])) ++start;
  if (start == rest.size()) {
    d.value = std::string(rest.substr(rest.size() - 1));
    return d;
  }
  std::size_t end = rest.size();
  while (end > start && IsRegexSpace(rest[end - 1])) --end;
  d.value = std::string(rest.substr(start, end - start));
  return d;
}

Error DirectiveError(std::string message, int line) {
  Error e = MakeError(ErrorCode::kInvalidArgument, std::move(message));
  e.where = SourceRange{"", line, line};
  return e;
}

}  // namespace

Result<Directives> ParseDirectives(std::string_view text) {
  Directives out;
  bool seen_syntax = false, seen_escape = false, seen_check = false;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    line = unicode::TrimLeftSpace(line);
    if (line.empty() || line[0] != '#') break;
    const std::optional<RawDirective> d = MatchDirective(unicode::TrimLeftSpace(line.substr(1)));
    if (!d) break;
    bool* seen = nullptr;
    if (d->name == "syntax") seen = &seen_syntax;
    if (d->name == "escape") seen = &seen_escape;
    if (d->name == "check") seen = &seen_check;
    if (!seen) break;  // an unknown name is a comment and ends the directives
    if (*seen) return DirectiveError("only one " + d->name + " parser directive can be used", line_no);
    *seen = true;
    if (d->name == "syntax") out.syntax = d->value;
    if (d->name == "check") out.check = d->value;
    if (d->name == "escape") {
      if (d->value != "`" && d->value != "\\") {
        return DirectiveError("invalid escape token '" + d->value + "' does not match ` or \\",
                              line_no);
      }
      out.escape = d->value[0];
    }
  }
  return out;
}

}  // namespace bt::frontend
