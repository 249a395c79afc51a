#include "frontend/shell/shell_pattern.h"

#include <utility>

#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

constexpr char32_t kByteOrderMark = 0xFEFF;
// What Go's text/scanner returns past the end; fmt's %c prints it as U+FFFD.
constexpr char32_t kEndOfPattern = unicode::kReplacementChar;

// Go's []rune(s): every invalid UTF-8 byte becomes one U+FFFD.
std::vector<char32_t> DecodeRunes(std::string_view s) {
  std::vector<char32_t> runes;
  runes.reserve(s.size());
  while (!s.empty()) {
    const unicode::DecodedRune d = unicode::DecodeRune(s);
    runes.push_back(d.rune);
    s.remove_prefix(static_cast<std::size_t>(d.width));
  }
  return runes;
}

std::string EncodeRunes(const std::vector<char32_t>& runes) {
  std::string out;
  out.reserve(runes.size());
  for (char32_t r : runes) unicode::AppendRune(out, r);
  return out;
}

// lex.go reverseString.
std::string ReverseRunes(std::string_view s) {
  std::vector<char32_t> runes = DecodeRunes(s);
  return EncodeRunes(std::vector<char32_t>(runes.rbegin(), runes.rend()));
}

// lex.go reversePattern: reverses the runes but keeps each `\x` pair in order, so `a\*c`
// becomes `c\*a`. A trailing lone backslash just moves to the front.
std::string ReversePattern(std::string_view pattern) {
  const std::vector<char32_t> runes = DecodeRunes(pattern);
  std::vector<char32_t> out(runes.size());
  const std::size_t last = runes.size() - 1;  // unused when runes is empty
  for (std::size_t i = 0; i < runes.size();) {
    const std::size_t out_index = last - i;
    if (runes[i] == '\\' && i != last) {
      out[out_index - 1] = '\\';
      out[out_index] = runes[i + 1];
      i += 2;
    } else {
      out[out_index] = runes[i];
      ++i;
    }
  }
  return EncodeRunes(out);
}

Error InvalidPattern(std::string_view pattern, const Error& cause) {
  std::string message = "invalid pattern (";
  message.append(pattern).append(") in substitution: ").append(cause.message);
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// Go's Regexp.Expand for a regexp without groups: `$$` is `$`; `$name` or `${name}` (name =
// letters, digits, `_`) is the whole match when name is exactly "0" and empty otherwise (no
// group 1.. or named group exists); a `$` starting neither form stays literal.
void AppendExpandedTemplate(std::string& out, std::string_view tmpl, std::string_view whole) {
  for (;;) {
    const std::size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out.push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    const bool brace = !tmpl.empty() && tmpl[0] == '{';
    std::string_view rest = tmpl.substr(brace ? 1 : 0);
    std::size_t name_len = 0;
    while (name_len < rest.size()) {
      const unicode::DecodedRune d = unicode::DecodeRune(rest.substr(name_len));
      if (!unicode::IsLetter(d.rune) && !unicode::IsDigit(d.rune) && d.rune != '_') break;
      name_len += static_cast<std::size_t>(d.width);
    }
    const bool closed = !brace || (name_len < rest.size() && rest[name_len] == '}');
    if (name_len == 0 || !closed) {
      out.push_back('$');  // malformed: Go keeps the `$` and rescans after it
      continue;
    }
    if (rest.substr(0, name_len) == "0") out.append(whole);
    tmpl = rest.substr(name_len + (brace ? 1 : 0));
  }
  out.append(tmpl);
}

}  // namespace

// Go's sparse-set run queue (regexp/exec.go): threads in priority order, at most one per pc.
class ShellPattern::ThreadQueue {
 public:
  explicit ThreadQueue(std::size_t num_pcs) : sparse_(num_pcs, 0) { dense_.reserve(num_pcs); }

  bool Contains(std::size_t pc) const {
    const std::size_t i = sparse_[pc];
    return i < dense_.size() && dense_[i].pc == pc;
  }
  void Push(Thread t) {
    sparse_[t.pc] = dense_.size();
    dense_.push_back(t);
  }
  void Clear() { dense_.clear(); }
  bool empty() const { return dense_.empty(); }
  const std::vector<Thread>& threads() const { return dense_; }

 private:
  std::vector<Thread> dense_;
  std::vector<std::size_t> sparse_;
};

ShellPattern::ShellPattern(std::vector<Atom> atoms, Stars stars)
    : atoms_(std::move(atoms)), stars_(stars) {}

Result<ShellPattern> ShellPattern::Compile(std::string_view pattern, Stars stars) {
  const std::vector<char32_t> runes = DecodeRunes(pattern);
  std::vector<Atom> atoms;
  atoms.reserve(runes.size());
  // text/scanner drops a byte order mark at the very start of its input.
  std::size_t i = !runes.empty() && runes[0] == kByteOrderMark ? 1 : 0;
  for (; i < runes.size(); ++i) {
    char32_t rune = runes[i];
    if (rune == '*') {
      atoms.push_back({AtomKind::kStar, 0});
      continue;
    }
    if (rune == '?') {
      atoms.push_back({AtomKind::kAnyRune, 0});
      continue;
    }
    if (rune == '\\') {
      const char32_t next = i + 1 < runes.size() ? runes[i + 1] : kEndOfPattern;
      // `}` and `/` must be escaped inside ${...}; the backslash is not part of the pattern.
      if (next == '}' || next == '/') continue;
      ++i;
      if (next != '*' && next != '?' && next != '\\') {
        std::string message = "invalid escape '\\";
        unicode::AppendRune(message, next);
        message.push_back('\'');
        return MakeError(ErrorCode::kInvalidArgument, std::move(message));
      }
      rune = next;
    }
    atoms.push_back({AtomKind::kLiteral, rune});
  }
  return ShellPattern(std::move(atoms), stars);
}

// Adds the thread at `pc` and everything reachable from it without consuming a rune, in Go's
// priority order. A star is Go's `L: alt(body, next)`: greedy prefers the body (its own pc
// here), lazy prefers what follows. Every pc queued stands for one Go instruction visited, so
// "already queued" is Go's "already visited this step". Iterative: stars only lead forward.
void ShellPattern::AddThread(ThreadQueue& queue, std::size_t pc, std::size_t start) const {
  const std::size_t end = atoms_.size();
  std::size_t k = pc;
  if (stars_ == Stars::kGreedy) {
    for (; k < end && atoms_[k].kind == AtomKind::kStar; ++k) {
      if (queue.Contains(k)) return;
      queue.Push({k, start});
    }
    if (!queue.Contains(k)) queue.Push({k, start});
    return;
  }
  while (k < end && atoms_[k].kind == AtomKind::kStar && !queue.Contains(k)) ++k;
  if (!queue.Contains(k)) queue.Push({k, start});
  for (std::size_t j = k; j > pc; --j) queue.Push({j - 1, start});
}

// Go's pike VM (regexp/exec.go, machine.match) specialised to these atoms: new threads start
// at lower priority than running ones; a thread reaching the end records its span and cuts
// every lower-priority thread; higher-priority threads keep running and may replace it.
std::optional<ShellPattern::Span> ShellPattern::Find(std::string_view text, std::size_t from,
                                                     Anchor anchor) const {
  const std::size_t match_pc = atoms_.size();
  ThreadQueue run(match_pc + 1);
  ThreadQueue next(match_pc + 1);
  std::optional<Span> match;
  std::size_t pos = from;
  for (;;) {
    if (run.empty() && (match || (anchor == Anchor::kAtStart && pos != from))) break;
    if (!match && (anchor == Anchor::kAnywhere || pos == from)) AddThread(run, 0, pos);
    const unicode::DecodedRune d =
        pos < text.size() ? unicode::DecodeRune(text.substr(pos)) : unicode::DecodedRune{0, 0};
    next.Clear();
    for (const Thread& t : run.threads()) {
      if (t.pc == match_pc) {
        match = Span{t.start, pos};
        break;
      }
      if (d.width == 0) continue;
      const Atom& atom = atoms_[t.pc];
      // Go's `.` is OpAnyCharNotNL (no `s` flag), so `*` and `?` stop at a newline.
      const bool consumed = atom.kind == AtomKind::kLiteral ? d.rune == atom.rune : d.rune != '\n';
      if (consumed) AddThread(next, atom.kind == AtomKind::kStar ? t.pc : t.pc + 1, t.start);
    }
    if (d.width == 0) break;
    pos += static_cast<std::size_t>(d.width);
    std::swap(run, next);
  }
  return match;
}

Result<std::string> TrimShellPrefix(std::string_view pattern, std::string_view value,
                                    AffixMatch match) {
  const auto stars =
      match == AffixMatch::kLongest ? ShellPattern::Stars::kGreedy : ShellPattern::Stars::kLazy;
  Result<ShellPattern> compiled = ShellPattern::Compile(pattern, stars);
  if (!compiled) return InvalidPattern(pattern, compiled.error());
  const auto span = compiled->Find(value, 0, ShellPattern::Anchor::kAtStart);
  if (!span) return std::string(value);
  return std::string(value.substr(span->end));
}

Result<std::string> TrimShellSuffix(std::string_view pattern, std::string_view value,
                                    AffixMatch match) {
  // Go's regexp cannot find the shortest rightmost match, so BuildKit searches the reversed
  // value for the reversed pattern (lex.go trimSuffix).
  BT_ASSIGN_OR_RETURN(std::string reversed,
                      TrimShellPrefix(ReversePattern(pattern), ReverseRunes(value), match));
  return ReverseRunes(reversed);
}

Error ValueTooLong(std::size_t max_bytes) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "value exceeds " + std::to_string(max_bytes) + " bytes");
}

Result<std::string> ReplaceShellPattern(std::string_view value, std::string_view pattern,
                                        std::string_view replacement, ReplaceCount count,
                                        std::size_t max_result_bytes) {
  Result<ShellPattern> compiled = ShellPattern::Compile(pattern, ShellPattern::Stars::kGreedy);
  if (!compiled) return InvalidPattern(pattern, compiled.error());
  const ShellPattern& re = *compiled;
  std::string out;
  if (count == ReplaceCount::kFirst) {
    const auto span = re.Find(value, 0, ShellPattern::Anchor::kAnywhere);
    if (!span) return std::string(value);
    out.append(value.substr(0, span->begin)).append(replacement).append(value.substr(span->end));
    if (out.size() > max_result_bytes) return ValueTooLong(max_result_bytes);
    return out;
  }
  // Go's Regexp.replaceAll: successive searches; an empty match right after the previous
  // match is not replaced, and the search always advances by at least one rune.
  std::size_t last_end = 0;
  std::size_t search = 0;
  while (search <= value.size()) {
    const auto span = re.Find(value, search, ShellPattern::Anchor::kAnywhere);
    if (!span) break;
    out.append(value.substr(last_end, span->begin - last_end));
    if (span->end > last_end || span->begin == 0) {
      AppendExpandedTemplate(out, replacement, value.substr(span->begin, span->end - span->begin));
    }
    if (out.size() > max_result_bytes) return ValueTooLong(max_result_bytes);
    last_end = span->end;
    const std::size_t width =
        search < value.size()
            ? static_cast<std::size_t>(unicode::DecodeRune(value.substr(search)).width)
            : 0;
    if (search + width > span->end) {
      search += width;
    } else if (search + 1 > span->end) {
      ++search;  // only at the end of the value, where the width is 0
    } else {
      search = span->end;
    }
  }
  out.append(value.substr(last_end));
  if (out.size() > max_result_bytes) return ValueTooLong(max_result_bytes);
  return out;
}

}  // namespace bt::frontend
