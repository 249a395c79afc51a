#include "frontend/parser/heredoc.h"

#include <algorithm>
#include <limits>
#include <string>

#include "frontend/shell/shell_lexer.h"

namespace bt::frontend {
namespace {

bool IsRegexSpace(char c) { return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '; }

std::size_t CountQuotes(std::string_view s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\'') +
                                  std::count(s.begin(), s.end(), '"'));
}

// strconv.ParseUint(digits, 10, 0) with its error ignored: empty gives 0, overflow the
// maximum value.
std::uint64_t ParseFd(std::string_view digits) {
  std::uint64_t v = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  for (char c : digits) {
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (kMax - d) / 10) return kMax;
    v = v * 10 + d;
  }
  return v;
}

}  // namespace

Result<std::optional<Heredoc>> ParseHeredocWord(std::string_view word) {
  std::size_t i = 0;
  while (i < word.size() && word[i] >= '0' && word[i] <= '9') ++i;
  const std::string_view digits = word.substr(0, i);
  if (word.substr(i, 2) != "<<") return std::optional<Heredoc>();
  i += 2;
  const bool chomp = i < word.size() && word[i] == '-';
  if (chomp) ++i;
  while (i < word.size() && IsRegexSpace(word[i])) ++i;
  const std::string_view rest = word.substr(i);
  if (rest.find('<') != std::string_view::npos || rest.empty()) return std::optional<Heredoc>();

  // Lex the name with and without quote removal: if the counts of quote characters differ,
  // part of the word was quoted and the body is not expanded.
  ShellLexOptions options;
  options.skip_unset_env = true;
  const MapShellEnv empty;
  BT_ASSIGN_OR_RETURN(std::vector<std::string> words, ShellLexer(options).ProcessWords(rest, empty));
  if (words.size() != 1) return std::optional<Heredoc>();
  options.raw_quotes = true;
  BT_ASSIGN_OR_RETURN(std::vector<std::string> raw, ShellLexer(options).ProcessWords(rest, empty));
  if (raw.size() != words.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "internal lexing of heredoc produced inconsistent results: " + std::string(rest));
  }
  Heredoc h;
  h.name = words[0];
  h.fd = ParseFd(digits);
  h.chomp = chomp;
  h.expand = CountQuotes(words[0]) == CountQuotes(raw[0]);
  return std::optional<Heredoc>(std::move(h));
}

Result<std::vector<Heredoc>> HeredocsFromLine(std::string_view line) {
  ShellLexOptions options;
  options.raw_quotes = true;
  options.raw_escapes = true;
  options.skip_unset_env = true;
  std::vector<Heredoc> docs;
  // BuildKit ignores a failed split: the line then has no heredocs.
  Result<std::vector<std::string>> words = ShellLexer(options).ProcessWords(line, MapShellEnv());
  if (!words) return docs;
  for (const std::string& word : *words) {
    BT_ASSIGN_OR_RETURN(std::optional<Heredoc> doc, ParseHeredocWord(word));
    if (doc) docs.push_back(std::move(*doc));
  }
  return docs;
}

}  // namespace bt::frontend
