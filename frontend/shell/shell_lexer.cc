#include "frontend/shell/shell_lexer.h"

#include <cstddef>
#include <utility>

#include "frontend/shell/shell_pattern.h"
#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

// text/scanner's EOF (-1): no rune equals it, and Go's string(rune) turns it into U+FFFD,
// which AppendRune does too for a value above U+10FFFF.
constexpr char32_t kEof = static_cast<char32_t>(-1);
constexpr char32_t kByteOrderMark = 0xFEFF;
// ${...} nest by recursion, about 2 KiB of stack per level (over 10 KiB with sanitizers).
// lex.go has no limit because Go stacks grow; a C++ stack does not, so nesting far beyond
// any real Dockerfile is rejected instead of overflowing a worker thread's stack.
constexpr int kMaxNesting = 100;

std::string RuneString(char32_t r) {
  std::string s;
  unicode::AppendRune(s, r);
  return s;
}

Error LexError(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

Error UnsupportedModifier(std::string_view op) {
  std::string message = "unsupported modifier (";
  message.append(op).append(") in substitution");
  return LexError(std::move(message));
}

// lex.go isSpecialParam (POSIX special parameters).
bool IsSpecialParam(char32_t r) {
  return std::u32string_view(U"@*#?-$!0").find(r) != std::u32string_view::npos;
}

// lex.go isWhitespace: what may separate `<<` from a heredoc word.
bool IsHeredocSpace(char32_t r) { return r == '\t' || r == '\r' || r == ' '; }

// Go's text/scanner as lex.go drives it (Peek and Next only): UTF-8 decoded rune by rune, an
// invalid byte read as U+FFFD, and a byte order mark at the very start skipped.
class RuneScanner {
 public:
  explicit RuneScanner(std::string_view text) : text_(text) {
    Decode();
    if (peek_ == kByteOrderMark) Advance();
  }

  char32_t Peek() const { return peek_; }
  char32_t Next() {
    const char32_t r = peek_;
    if (r != kEof) Advance();
    return r;
  }

 private:
  void Advance() {
    pos_ += width_;
    Decode();
  }
  void Decode() {
    if (pos_ >= text_.size()) {
      peek_ = kEof;
      width_ = 0;
      return;
    }
    const unicode::DecodedRune d = unicode::DecodeRune(text_.substr(pos_));
    peek_ = d.rune;
    width_ = static_cast<std::size_t>(d.width);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t width_ = 0;
  char32_t peek_ = kEof;
};

// lex.go wordsStruct: collects the shell words of one processStopOn level. The buffer of the
// current word belongs to the WordExpander and is shared by all levels (see ProcessStopOn).
class WordSplitter {
 public:
  explicit WordSplitter(std::string* buffer) : buffer_(buffer) {}

  // Unquoted text: whitespace ends the current word.
  void AddChar(char32_t r) {
    const bool space = unicode::IsSpace(r);
    if (space && in_word_) {
      // A word opened by an empty quoted string is not ended by whitespace (lex.go addChar).
      if (!buffer_->empty()) Flush();
    } else if (!space) {
      AddRawChar(r);
    }
  }
  void AddRawChar(char32_t r) {
    unicode::AppendRune(*buffer_, r);
    in_word_ = true;
  }
  // Go ranges over the runes, so an invalid byte of a variable's value becomes U+FFFD here
  // (but not in the single-word result).
  void AddString(std::string_view s) {
    while (!s.empty()) {
      const unicode::DecodedRune d = unicode::DecodeRune(s);
      AddChar(d.rune);
      s.remove_prefix(static_cast<std::size_t>(d.width));
    }
  }
  void AddRawString(std::string_view s) {
    buffer_->append(s);
    in_word_ = true;
  }
  std::vector<std::string> TakeWords() {
    if (!buffer_->empty()) Flush();
    return std::move(words_);
  }

 private:
  void Flush() {
    words_.push_back(*buffer_);
    buffer_->clear();
    in_word_ = false;
  }

  std::string* buffer_;
  std::vector<std::string> words_;
  bool in_word_ = false;
};

// Whether escape characters are dropped or kept in the text of one processStopOn level.
enum class Escapes { kConsume, kKeep };

// lex.go shellWord: the state of one expansion. Its Process* methods mirror lex.go's
// functions one to one so that the two can be compared side by side.
class WordExpander {
 public:
  WordExpander(std::string_view source, const ShellEnv& env, const ShellLexOptions& options)
      : source_(source),
        env_(env),
        options_(options),
        scanner_(source),
        raw_escapes_(options.raw_escapes) {}

  Result<ExpandedWord> Expand();

 private:
  struct Segment {
    std::string word;
    std::vector<std::string> words;
  };

  Result<Segment> ProcessStopOn(char32_t stop, Escapes escapes);
  Result<std::string> ProcessSpecial(char32_t ch);
  Result<std::string> ProcessSingleQuote();
  Result<std::string> ProcessDoubleQuote();
  Result<std::string> ProcessDollar();
  Result<std::string> ProcessModifier(const std::string& name, char32_t ch);
  Result<std::string> ProcessReplace(const std::string& name);
  std::string ProcessName();
  std::string ProcessPossibleHeredoc();
  std::optional<std::string_view> GetEnv(const std::string& name);
  // The error to report when a nested word failed: at end of input it is `missing`.
  Error AtEndOr(Error error, const char* missing) {
    return scanner_.Peek() == kEof ? LexError(missing) : std::move(error);
  }

  std::string_view source_;
  const ShellEnv& env_;
  const ShellLexOptions& options_;
  RuneScanner scanner_;
  bool raw_escapes_;          // lex.go sw.rawEscapes: set per ProcessStopOn level, restored after
  std::string words_buffer_;  // lex.go sw.wordsBuffer: the current word, shared by all levels
  int depth_ = 0;             // ProcessStopOn levels active
  std::set<std::string> matched_;
  std::set<std::string> unmatched_;
};

Result<ExpandedWord> WordExpander::Expand() {
  Result<Segment> segment = ProcessStopOn(kEof, raw_escapes_ ? Escapes::kKeep : Escapes::kConsume);
  if (!segment) {
    Error error = std::move(segment).error();
    error.message = "failed to process " + unicode::Quote(source_) + ": " + error.message;
    return error;
  }
  return ExpandedWord{std::move(segment->word), std::move(segment->words), std::move(matched_),
                      std::move(unmatched_)};
}

// lex.go processStopOn: the text up to `stop` (kEof: the end of input), consuming `stop`.
//
// Quirk kept from lex.go: every level clears the shared current-word buffer when it starts
// and empties it when it ends, so in ProcessWords a `${VAR<op>...}` drops the part of the
// word before it (`a${X:-b}c` gives the words ["bc"]; ProcessWord gives "abc").
Result<WordExpander::Segment> WordExpander::ProcessStopOn(char32_t stop, Escapes escapes) {
  if (depth_ >= kMaxNesting) {
    return LexError("${...} nested more than " + std::to_string(kMaxNesting) + " levels deep");
  }
  struct LevelScope {
    WordExpander& self;
    bool saved_raw_escapes;
    ~LevelScope() {
      self.raw_escapes_ = saved_raw_escapes;
      --self.depth_;
    }
  } level{*this, raw_escapes_};
  ++depth_;
  raw_escapes_ = escapes == Escapes::kKeep;

  std::string result;
  words_buffer_.clear();
  WordSplitter words(&words_buffer_);
  while (scanner_.Peek() != kEof) {
    char32_t ch = scanner_.Peek();
    if (stop != kEof && ch == stop) {
      scanner_.Next();
      return Segment{std::move(result), words.TakeWords()};
    }
    const bool quote = ch == '\'' || ch == '"';
    if (ch == '$' || ch == '<' || (quote && !options_.skip_process_quotes)) {
      BT_ASSIGN_OR_RETURN(std::string text, ProcessSpecial(ch));
      result += text;
      if (result.size() > options_.max_value_bytes) return ValueTooLong(options_.max_value_bytes);
      // Only a variable's value is split into words; quoted text and `<<` stay whole.
      if (ch == '$') {
        words.AddString(text);
      } else {
        words.AddRawString(text);
      }
      continue;
    }
    ch = scanner_.Next();
    if (ch == options_.escape) {
      if (raw_escapes_) {
        words.AddRawChar(ch);
        unicode::AppendRune(result, ch);
      }
      ch = scanner_.Next();
      if (ch == kEof) break;  // an escape character at the end is dropped
      words.AddRawChar(ch);
    } else {
      words.AddChar(ch);
    }
    unicode::AppendRune(result, ch);
  }
  if (stop != kEof) {
    return LexError("unexpected end of statement while looking for matching " + RuneString(stop));
  }
  return Segment{std::move(result), words.TakeWords()};
}

Result<std::string> WordExpander::ProcessSpecial(char32_t ch) {
  switch (ch) {
    case '$':
      return ProcessDollar();
    case '<':
      return ProcessPossibleHeredoc();
    case '\'':
      return ProcessSingleQuote();
    default:
      return ProcessDoubleQuote();
  }
}

// Everything up to the next `'` is literal; a single quote cannot be escaped.
Result<std::string> WordExpander::ProcessSingleQuote() {
  std::string result;
  char32_t ch = scanner_.Next();
  if (options_.raw_quotes) unicode::AppendRune(result, ch);
  for (;;) {
    ch = scanner_.Next();
    if (ch == kEof) {
      return LexError("unexpected end of statement while looking for matching single-quote");
    }
    if (ch == '\'') {
      if (options_.raw_quotes) unicode::AppendRune(result, ch);
      return result;
    }
    unicode::AppendRune(result, ch);
  }
}

// Everything up to the next unescaped `"` is literal except `$`. The escape character
// escapes only `"`, `$` and itself; before anything else it is kept.
Result<std::string> WordExpander::ProcessDoubleQuote() {
  std::string result;
  char32_t ch = scanner_.Next();
  if (options_.raw_quotes) unicode::AppendRune(result, ch);
  for (;;) {
    const char32_t next = scanner_.Peek();
    if (next == kEof) {
      return LexError("unexpected end of statement while looking for matching double-quote");
    }
    if (next == '"') {
      ch = scanner_.Next();
      if (options_.raw_quotes) unicode::AppendRune(result, ch);
      return result;
    }
    if (next == '$') {
      BT_ASSIGN_OR_RETURN(std::string value, ProcessDollar());
      result += value;
      continue;
    }
    ch = scanner_.Next();
    if (ch == options_.escape) {
      // With raw escapes lex.go writes the escape character here and, when it escapes
      // nothing, once more below: `"\t"` becomes `\\t`.
      if (raw_escapes_) unicode::AppendRune(result, ch);
      const char32_t escaped = scanner_.Peek();
      if (escaped == kEof) continue;  // reported as the missing closing quote
      if (escaped == '"' || escaped == '$' || escaped == options_.escape) ch = scanner_.Next();
    }
    unicode::AppendRune(result, ch);
  }
}

Result<std::string> WordExpander::ProcessDollar() {
  scanner_.Next();  // `$`
  if (scanner_.Peek() != '{') {
    std::string name = ProcessName();
    if (name.empty()) return std::string("$");
    const std::optional<std::string_view> value = GetEnv(name);
    if (!value && options_.skip_unset_env) return "$" + name;
    return std::string(value.value_or(""));
  }
  scanner_.Next();  // `{`
  const char32_t first = scanner_.Peek();
  if (first == kEof) return LexError("syntax error: missing '}'");
  if (first == '{' || first == '}' || first == ':') {
    return LexError("syntax error: bad substitution");
  }
  std::string name = ProcessName();
  const char32_t ch = scanner_.Next();
  if (ch == '}') {
    const std::optional<std::string_view> value = GetEnv(name);
    if (!value && options_.skip_unset_env) return "${" + name + "}";
    return std::string(value.value_or(""));
  }
  if (ch == '/') return ProcessReplace(name);
  return ProcessModifier(name, ch);
}

// `${name<op>word}` for op in - + ? # % (also :- :+ :?); `ch` is the character after name.
// Note that an unterminated `${name` ends here as "unsupported modifier (\uFFFD)", the
// string(EOF) of lex.go, not as a missing brace.
Result<std::string> WordExpander::ProcessModifier(const std::string& name, char32_t ch) {
  std::string op = RuneString(ch);
  const bool null_is_unset = ch == ':';
  if (null_is_unset) {
    ch = scanner_.Next();
    op += RuneString(ch);
  } else if (ch != '+' && ch != '-' && ch != '?' && ch != '#' && ch != '%') {
    return UnsupportedModifier(op);
  }
  const bool is_trim = ch == '#' || ch == '%';
  if (null_is_unset && is_trim) return UnsupportedModifier(op);
  // A trim pattern keeps its escapes: the pattern matcher interprets `\*` and `\?`.
  Result<Segment> segment = ProcessStopOn('}', is_trim ? Escapes::kKeep : Escapes::kConsume);
  if (!segment) return AtEndOr(std::move(segment).error(), "syntax error: missing '}'");
  std::string word = std::move(segment->word);

  const std::optional<std::string_view> value = GetEnv(name);
  if (!value && options_.skip_unset_env) return "${" + name + op + word + "}";
  const bool unset_or_null = !value || (null_is_unset && value->empty());
  switch (ch) {
    case '-':
      return unset_or_null ? word : std::string(*value);
    case '+':
      return unset_or_null ? std::string() : word;
    case '?':
      if (!value) {
        return LexError(name + ": " + (word.empty() ? "is not allowed to be unset" : word));
      }
      if (null_is_unset && value->empty()) {
        return LexError(name + ": " + (word.empty() ? "is not allowed to be empty" : word));
      }
      return std::string(*value);
    case '#':
    case '%': {
      // A doubled operator (## or %%) asks for the longest match.
      AffixMatch match = AffixMatch::kShortest;
      if (!word.empty() && static_cast<char32_t>(word[0]) == ch) {
        match = AffixMatch::kLongest;
        word.erase(0, 1);
      }
      const std::string_view current = value.value_or("");
      return ch == '%' ? TrimShellSuffix(word, current, match)
                       : TrimShellPrefix(word, current, match);
    }
    default:
      return UnsupportedModifier(op);
  }
}

// `${name/pattern/replacement}` and `${name//pattern/replacement}`.
Result<std::string> WordExpander::ProcessReplace(const std::string& name) {
  ReplaceCount count = ReplaceCount::kFirst;
  if (scanner_.Peek() == '/') {
    scanner_.Next();
    count = ReplaceCount::kAll;
  }
  Result<Segment> pattern = ProcessStopOn('/', Escapes::kKeep);
  if (!pattern) return AtEndOr(std::move(pattern).error(), "syntax error: missing '/' in ${}");
  Result<Segment> replacement = ProcessStopOn('}', Escapes::kKeep);
  if (!replacement) return AtEndOr(std::move(replacement).error(), "syntax error: missing '}'");

  const std::optional<std::string_view> value = GetEnv(name);
  if (!value && options_.skip_unset_env) {
    // lex.go writes a single `/` back here, also for `//`.
    return "${" + name + "/" + pattern->word + "/" + replacement->word + "}";
  }
  return ReplaceShellPattern(value.value_or(""), pattern->word, replacement->word, count,
                             options_.max_value_bytes);
}

// A variable name: letters, digits and `_`; or all the digits of a positional parameter; or
// one special parameter character. Empty when none of these follows.
std::string WordExpander::ProcessName() {
  std::string name;
  while (scanner_.Peek() != kEof) {
    const char32_t ch = scanner_.Peek();
    if (name.empty() && unicode::IsDigit(ch)) {
      while (scanner_.Peek() != kEof && unicode::IsDigit(scanner_.Peek())) {
        unicode::AppendRune(name, scanner_.Next());
      }
      return name;
    }
    if (name.empty() && IsSpecialParam(ch)) return RuneString(scanner_.Next());
    if (!unicode::IsLetter(ch) && !unicode::IsDigit(ch) && ch != '_') break;
    unicode::AppendRune(name, scanner_.Next());
  }
  return name;
}

// `<<` keeps the spaces, tabs and carriage returns after it in the same word, so that the
// parser sees `<< EOF` as one heredoc word; a lone `<` is ordinary.
std::string WordExpander::ProcessPossibleHeredoc() {
  scanner_.Next();
  if (scanner_.Peek() != '<') return "<";
  scanner_.Next();
  std::string result = "<<";
  while (IsHeredocSpace(scanner_.Peek())) unicode::AppendRune(result, scanner_.Next());
  return result;
}

std::optional<std::string_view> WordExpander::GetEnv(const std::string& name) {
  std::optional<std::string_view> value = env_.Lookup(name);
  (value ? matched_ : unmatched_).insert(name);
  return value;
}

}  // namespace

void MapShellEnv::Set(std::string name, std::string value) {
  vars_.insert_or_assign(std::move(name), std::move(value));
}

std::optional<std::string_view> MapShellEnv::Lookup(std::string_view name) const {
  const auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return std::string_view(it->second);
}

Result<ExpandedWord> ShellLexer::ProcessWord(std::string_view word, const ShellEnv& env) const {
  return WordExpander(word, env, options_).Expand();
}

Result<std::vector<std::string>> ShellLexer::ProcessWords(std::string_view word,
                                                          const ShellEnv& env) const {
  BT_ASSIGN_OR_RETURN(ExpandedWord expanded, WordExpander(word, env, options_).Expand());
  return std::move(expanded.words);
}

}  // namespace bt::frontend
