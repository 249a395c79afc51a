#include "frontend/parser/instruction_parser.h"

#include "frontend/parser/json_array.h"
#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

// BuildKit's reWhitespace: `[\t\v\f\r ]+`.
bool IsSeparator(char c) {
  return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ';
}

// unicode.IsSpace(rune(b)) on a single byte, as BuildKit's byte loops call it: 0x85 and 0xA0
// count as spaces even when they are part of a UTF-8 sequence.
bool IsSpaceByte(unsigned char b) {
  return b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r' || b == ' ' || b == 0x85 ||
         b == 0xA0;
}

// regexp.Split(s, -1) with reWhitespace.
std::vector<std::string> SplitOnSeparators(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (!IsSeparator(s[i])) {
      ++i;
      continue;
    }
    out.emplace_back(s.substr(start, i - start));
    while (i < s.size() && IsSeparator(s[i])) ++i;
    start = i;
  }
  out.emplace_back(s.substr(start));
  return out;
}

// Splits at the first run of separators: {head, tail}; tail is absent without one.
std::pair<std::string_view, std::optional<std::string_view>> SplitOnce(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && !IsSeparator(s[i])) ++i;
  if (i == s.size()) return {s, std::nullopt};
  std::size_t j = i;
  while (j < s.size() && IsSeparator(s[j])) ++j;
  return {s.substr(0, i), s.substr(j)};
}

Error LineError(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

struct Args {
  std::vector<std::string> values;
  std::unique_ptr<Node> sub;
  bool json_form = false;
};

using LineParser = Result<Args> (*)(std::string_view rest, char escape);

Result<Args> ParseIgnore(std::string_view, char) {
  Args a;
  a.values.emplace_back();
  return a;
}

Result<Args> ParseString(std::string_view rest, char) {
  Args a;
  if (!rest.empty()) a.values.emplace_back(rest);
  return a;
}

Result<Args> ParseWhitespaceDelimited(std::string_view rest, char) {
  Args a;
  if (!rest.empty()) a.values = SplitOnSeparators(rest);
  return a;
}

Result<Args> ParseNameOrNameVal(std::string_view rest, char escape) {
  Args a;
  a.values = SplitWordsKeepingQuotes(rest, escape);
  return a;
}

Result<Args> ParseNameVal(std::string_view rest, char escape, std::string_view key) {
  Args a;
  const std::vector<std::string> words = SplitWordsKeepingQuotes(rest, escape);
  if (words.empty()) return a;
  if (words[0].find('=') == std::string::npos) {
    // The old `ENV key value` form: the value keeps its inner whitespace.
    auto [name, value] = SplitOnce(rest);
    if (!value) return LineError(std::string(key) + " must have two arguments");
    a.values = {std::string(name), std::string(*value), ""};
    return a;
  }
  for (const std::string& word : words) {
    const std::size_t eq = word.find('=');
    if (eq == std::string::npos) {
      return LineError("Syntax error - can't find = in " + unicode::Quote(word) +
                       ". Must be of the form: name=value");
    }
    a.values.push_back(word.substr(0, eq));
    a.values.push_back(word.substr(eq + 1));
    a.values.emplace_back("=");
  }
  return a;
}

Result<Args> ParseEnv(std::string_view rest, char escape) {
  return ParseNameVal(rest, escape, "ENV");
}
Result<Args> ParseLabel(std::string_view rest, char escape) {
  return ParseNameVal(rest, escape, "LABEL");
}

Error NotStringsError() {
  return LineError("when using JSON array syntax, arrays must be comprised of strings only");
}

// parseJSON: nullopt when the text is not a JSON array (the caller falls back).
Result<std::optional<Args>> ParseJson(std::string_view rest) {
  const JsonArray parsed = ParseJsonArray(unicode::TrimLeftSpace(rest));
  switch (parsed.kind) {
    case JsonArrayKind::kNotJson:
      return std::optional<Args>();
    case JsonArrayKind::kNotStrings:
      return NotStringsError();
    case JsonArrayKind::kStrings:
      break;
  }
  Args a;
  a.values = parsed.elements;
  a.json_form = true;
  return std::optional<Args>(std::move(a));
}

Result<Args> ParseMaybeJson(std::string_view rest, char) {
  if (rest.empty()) return Args{};
  BT_ASSIGN_OR_RETURN(std::optional<Args> json, ParseJson(rest));
  if (json) return std::move(*json);
  Args a;
  a.values.emplace_back(rest);
  return a;
}

Result<Args> ParseMaybeJsonToList(std::string_view rest, char escape) {
  BT_ASSIGN_OR_RETURN(std::optional<Args> json, ParseJson(rest));
  if (json) return std::move(*json);
  return ParseWhitespaceDelimited(rest, escape);
}

Result<Args> ParseHealthConfig(std::string_view rest, char escape) {
  std::size_t sep = 0;
  while (sep < rest.size() && !IsSpaceByte(static_cast<unsigned char>(rest[sep]))) ++sep;
  std::size_t next = sep;
  while (next < rest.size() && IsSpaceByte(static_cast<unsigned char>(rest[next]))) ++next;
  if (sep == 0) return Args{};
  BT_ASSIGN_OR_RETURN(Args cmd, ParseMaybeJson(rest.substr(next), escape));
  cmd.values.insert(cmd.values.begin(), std::string(rest.substr(0, sep)));
  return cmd;
}

Result<Args> ParseSubCommand(std::string_view rest, char escape) {
  Args a;
  if (rest.empty()) return a;
  BT_ASSIGN_OR_RETURN(Node child, ParseInstructionLine(rest, escape));
  a.sub = std::make_unique<Node>(std::move(child));
  return a;
}

// The dispatch table of parser.go's init().
LineParser ParserFor(std::string_view keyword) {
  struct Entry {
    std::string_view keyword;
    LineParser parser;
  };
  static constexpr Entry kTable[] = {
      {"add", ParseMaybeJsonToList},     {"arg", ParseNameOrNameVal},
      {"cmd", ParseMaybeJson},           {"copy", ParseMaybeJsonToList},
      {"entrypoint", ParseMaybeJson},    {"env", ParseEnv},
      {"expose", ParseWhitespaceDelimited}, {"from", ParseWhitespaceDelimited},
      {"healthcheck", ParseHealthConfig}, {"label", ParseLabel},
      {"maintainer", ParseString},       {"onbuild", ParseSubCommand},
      {"run", ParseMaybeJson},           {"shell", ParseMaybeJson},
      {"stopsignal", ParseString},       {"user", ParseString},
      {"volume", ParseMaybeJsonToList},  {"workdir", ParseString},
  };
  for (const Entry& e : kTable) {
    if (e.keyword == keyword) return e.parser;
  }
  return ParseIgnore;  // unknown instructions are not parse errors
}

}  // namespace

FlagSplit ExtractFlags(std::string_view line, char escape) {
  enum class Phase { kSpaces, kWord, kQuote };
  FlagSplit out;
  Phase phase = Phase::kSpaces;
  std::string word;
  char quote = 0;
  bool blank_ok = false;
  const std::size_t n = line.size();
  auto add_byte = [&word](char c) { unicode::AppendRune(word, static_cast<unsigned char>(c)); };

  for (std::size_t pos = 0; pos <= n; ++pos) {
    const char ch = pos < n ? line[pos] : '\0';
    const bool space = pos < n && IsSpaceByte(static_cast<unsigned char>(ch));
    if (phase == Phase::kSpaces) {
      if (pos == n) break;
      if (space) continue;
      if (ch != '-' || pos + 1 == n || line[pos + 1] != '-') {
        out.rest = line.substr(pos);
        return out;
      }
      phase = Phase::kWord;
    }
    if (pos == n) {
      if (word != "--" && (blank_ok || !word.empty())) out.flags.push_back(std::move(word));
      break;
    }
    if (phase == Phase::kWord) {
      if (space) {
        phase = Phase::kSpaces;
        if (word == "--") {
          out.rest = line.substr(pos);
          return out;
        }
        if (blank_ok || !word.empty()) out.flags.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = Phase::kQuote;
        continue;
      }
      if (ch == escape) {
        if (pos + 1 == n) continue;  // an escape at the end is dropped
        ++pos;
      }
      add_byte(line[pos]);
      continue;
    }
    // Phase::kQuote
    if (ch == quote) {
      phase = Phase::kWord;
      continue;
    }
    if (ch == escape) {
      if (pos + 1 == n) {
        phase = Phase::kWord;
        continue;
      }
      ++pos;
    }
    add_byte(line[pos]);
  }
  out.rest = std::string_view();
  return out;
}

std::vector<std::string> SplitWordsKeepingQuotes(std::string_view rest, char escape) {
  enum class Phase { kSpaces, kWord, kQuote };
  std::vector<std::string> words;
  Phase phase = Phase::kSpaces;
  char32_t quote = 0;
  bool blank_ok = false;
  std::string word;
  const std::size_t n = rest.size();
  char32_t ch = 0;
  std::size_t width = 0;
  auto decode_at = [&](std::size_t pos) {
    const unicode::DecodedRune d = unicode::DecodeRune(rest.substr(pos));
    ch = d.rune;
    width = static_cast<std::size_t>(d.width);
  };
  const char32_t esc = static_cast<unsigned char>(escape);

  for (std::size_t pos = 0; pos <= n; pos += width) {
    if (pos != n) decode_at(pos);
    if (phase == Phase::kSpaces) {
      if (pos == n) break;
      if (unicode::IsSpace(ch)) continue;
      phase = Phase::kWord;
    }
    if (pos == n) {
      if (blank_ok || !word.empty()) words.push_back(word);
      break;
    }
    if (phase == Phase::kWord) {
      if (unicode::IsSpace(ch)) {
        phase = Phase::kSpaces;
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = Phase::kQuote;
      }
      if (ch == esc) {
        if (pos + width == n) continue;  // an escape at the end is dropped
        unicode::AppendRune(word, ch);
        pos += width;
        decode_at(pos);
      }
      unicode::AppendRune(word, ch);
      continue;
    }
    // Phase::kQuote: the escape character is ordinary inside single quotes.
    if (ch == quote) phase = Phase::kWord;
    if (ch == esc && quote != '\'') {
      if (pos + width == n) {
        phase = Phase::kWord;
        continue;
      }
      pos += width;
      unicode::AppendRune(word, ch);
      decode_at(pos);
    }
    unicode::AppendRune(word, ch);
  }
  return words;
}

Result<Node> ParseInstructionLine(std::string_view line, char escape) {
  Node node;
  node.original = std::string(line);
  auto [keyword, tail] = SplitOnce(unicode::TrimSpace(line));
  node.keyword = std::string(keyword);
  std::string_view rest;
  if (tail) {
    FlagSplit split = ExtractFlags(*tail, escape);
    node.flags = std::move(split.flags);
    rest = unicode::TrimSpace(split.rest);
  }
  BT_ASSIGN_OR_RETURN(Args args, ParserFor(unicode::ToLower(keyword))(rest, escape));
  node.args = std::move(args.values);
  node.sub = std::move(args.sub);
  node.json_form = args.json_form;
  return node;
}

}  // namespace bt::frontend
