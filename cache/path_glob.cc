#include "cache/path_glob.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace bt::cache {
namespace {

constexpr char32_t kRuneError = 0xFFFD;
constexpr char32_t kMaxRune = 0x10FFFF;

// Go's utf8.DecodeRuneInString: an invalid or truncated sequence decodes as (U+FFFD, 1).
char32_t DecodeRune(std::string_view s, size_t* size) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) {
    *size = 1;
    return b0;
  }
  int need = 0;
  char32_t r = 0;
  char32_t min = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1, r = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2, r = b0 & 0x0F, min = 0x800;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3, r = b0 & 0x07, min = 0x10000;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    *size = 1;
    return kRuneError;
  }
  if (s.size() < static_cast<size_t>(need) + 1) {
    *size = 1;
    return kRuneError;
  }
  for (int i = 1; i <= need; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) {
      *size = 1;
      return kRuneError;
    }
    r = (r << 6) | (b & 0x3F);
  }
  if (r < min) {
    *size = 1;
    return kRuneError;
  }
  *size = need + 1;
  return r;
}

Error BadPattern(std::string_view pattern, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "invalid .dockerignore pattern \"" + std::string(pattern) + "\": " +
                       std::string(why));
}

// getEsc from Go's path/filepath match.go: one possibly escaped class character.
bool GetEsc(std::string_view* chunk) {
  std::string_view c = *chunk;
  if (c.empty() || c[0] == '-' || c[0] == ']') return false;
  if (c[0] == '\\') {
    c.remove_prefix(1);
    if (c.empty()) return false;
  }
  size_t n = 0;
  if (DecodeRune(c, &n) == kRuneError && n == 1) return false;
  c.remove_prefix(n);
  if (c.empty()) return false;
  *chunk = c;
  return true;
}

// The syntax errors Go's filepath.Match(pattern, ".") reports; patternmatcher.New calls it
// only for that. Mirrors scanChunk and matchChunk, which check every chunk (Go >= 1.16).
bool IsValidFilepathMatchSyntax(std::string_view pattern) {
  while (!pattern.empty()) {
    while (!pattern.empty() && pattern[0] == '*') pattern.remove_prefix(1);
    bool in_range = false;
    size_t i = 0;
    for (; i < pattern.size(); ++i) {
      const char c = pattern[i];
      if (c == '\\') {
        if (i + 1 < pattern.size()) ++i;
      } else if (c == '[') {
        in_range = true;
      } else if (c == ']') {
        in_range = false;
      } else if (c == '*' && !in_range) {
        break;
      }
    }
    std::string_view chunk = pattern.substr(0, i);
    pattern.remove_prefix(i);
    while (!chunk.empty()) {
      if (chunk[0] == '[') {
        chunk.remove_prefix(1);
        if (!chunk.empty() && chunk[0] == '^') chunk.remove_prefix(1);
        for (int nrange = 0;; ++nrange) {
          if (!chunk.empty() && chunk[0] == ']' && nrange > 0) {
            chunk.remove_prefix(1);
            break;
          }
          if (!GetEsc(&chunk)) return false;
          if (chunk[0] == '-') {
            chunk.remove_prefix(1);
            if (!GetEsc(&chunk)) return false;
          }
        }
      } else if (chunk[0] == '\\') {
        chunk.remove_prefix(1);
        if (chunk.empty()) return false;
        chunk.remove_prefix(1);
      } else {
        chunk.remove_prefix(1);
      }
    }
  }
  return true;
}

// The runes of a pattern as Go's text/scanner yields them.
std::u32string DecodeAll(std::string_view s) {
  std::u32string out;
  while (!s.empty()) {
    size_t n = 0;
    out.push_back(DecodeRune(s, &n));
    s.remove_prefix(n);
  }
  return out;
}

// patternmatcher's shouldEscape is meant to cover `.+()|{}$`, but its bitmap keeps bit
// b/8 of a byte, which is lost for b >= 64: only `.+()$` are escaped, and `|`, `{` and `}`
// reach the regexp as alternation and repetition. We keep that behaviour.
bool ShouldEscape(char32_t c) {
  return c == '.' || c == '+' || c == '(' || c == ')' || c == '$';
}

bool IsAsciiAlnum(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int Unhex(char32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<int>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<int>(c - 'A' + 10);
  return -1;
}

using Ranges = std::vector<std::pair<char32_t, char32_t>>;

Ranges Normalize(Ranges r) {
  std::sort(r.begin(), r.end());
  Ranges out;
  for (const auto& [lo, hi] : r) {
    if (!out.empty() && lo <= out.back().second + 1) {
      out.back().second = std::max(out.back().second, hi);
    } else {
      out.emplace_back(lo, hi);
    }
  }
  return out;
}

Ranges Complement(const Ranges& in) {
  Ranges r = Normalize(in);
  Ranges out;
  char32_t next = 0;
  for (const auto& [lo, hi] : r) {
    if (lo > next) out.emplace_back(next, lo - 1);
    next = hi + 1;
  }
  if (next <= kMaxRune) out.emplace_back(next, kMaxRune);
  return out;
}

// Go regexp/syntax's Perl classes (\d \s \w) and POSIX classes ([:alpha:]), ASCII only.
bool PerlClass(char32_t c, Ranges* out) {
  Ranges r;
  switch (c) {
    case 'd': case 'D': r = {{'0', '9'}}; break;
    case 's': case 'S': r = {{'\t', '\n'}, {'\f', '\r'}, {' ', ' '}}; break;
    case 'w': case 'W': r = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}; break;
    default: return false;
  }
  if (c == 'D' || c == 'S' || c == 'W') r = Complement(r);
  out->insert(out->end(), r.begin(), r.end());
  return true;
}

bool PosixClass(std::u32string_view name, Ranges* out) {
  bool negate = false;
  if (!name.empty() && name[0] == '^') {
    negate = true;
    name.remove_prefix(1);
  }
  static constexpr struct {
    std::u32string_view name;
    std::initializer_list<std::pair<char32_t, char32_t>> ranges;
  } kGroups[] = {
      {U"alnum", {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}}},
      {U"alpha", {{'A', 'Z'}, {'a', 'z'}}},
      {U"ascii", {{0, 0x7F}}},
      {U"blank", {{'\t', '\t'}, {' ', ' '}}},
      {U"cntrl", {{0, 0x1F}, {0x7F, 0x7F}}},
      {U"digit", {{'0', '9'}}},
      {U"graph", {{'!', '~'}}},
      {U"lower", {{'a', 'z'}}},
      {U"print", {{' ', '~'}}},
      {U"punct", {{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}}},
      {U"space", {{'\t', '\r'}, {' ', ' '}}},
      {U"upper", {{'A', 'Z'}}},
      {U"word", {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}},
      {U"xdigit", {{'0', '9'}, {'A', 'F'}, {'a', 'f'}}},
  };
  for (const auto& g : kGroups) {
    if (g.name != name) continue;
    Ranges r(g.ranges.begin(), g.ranges.end());
    if (negate) r = Complement(r);
    out->insert(out->end(), r.begin(), r.end());
    return true;
  }
  return false;
}

}  // namespace

// Parses the regexp text patternmatcher builds (Go RE2 syntax with Perl flags: '.' does not
// match '\n', negated classes do, '$' is end of text) into an AST, then emits the NFA.
class PathGlob::Compiler {
 public:
  Compiler(std::u32string_view re, std::string_view pattern, PathGlob* glob)
      : re_(re), pattern_(pattern), glob_(glob) {}

  Result<void> Run() {
    BT_ASSIGN_OR_RETURN(Node root, ParseAlternation(/*depth=*/0));
    if (pos_ < re_.size()) return BadPattern(pattern_, "unexpected )");
    glob_->states_.push_back(State{});  // kMatch
    glob_->start_ = Emit(root, 0);
    return {};
  }

 private:
  enum class Type {
    kRune, kClass, kAny, kBegin, kEnd, kWordBoundary, kNotWordBoundary,
    kConcat, kAlternation, kStar, kPlus, kQuest, kRepeat,
  };
  struct Node {
    Type type = Type::kConcat;
    char32_t rune = 0;
    int32_t cls = -1;
    int min = 0, max = 0;  // kRepeat: {min,max}; max -1 means no upper bound
    std::vector<Node> kids;
  };

  Result<Node> ParseAlternation(int depth) {
    Node alt;
    alt.type = Type::kAlternation;
    for (;;) {
      BT_ASSIGN_OR_RETURN(Node branch, ParseConcat(depth));
      alt.kids.push_back(std::move(branch));
      if (pos_ >= re_.size() || re_[pos_] != '|') break;
      ++pos_;
    }
    if (alt.kids.size() == 1) return std::move(alt.kids[0]);
    return alt;
  }

  // Go's parseInt: decimal without leading zeros; -1 when too large.
  bool ParseInt(size_t* p, int* out) const {
    const size_t start = *p;
    while (*p < re_.size() && re_[*p] >= '0' && re_[*p] <= '9') ++*p;
    if (*p == start) return false;
    if (*p - start >= 2 && re_[start] == '0') return false;
    if (*p - start >= 8) {
      *out = -1;
      return true;
    }
    int v = 0;
    for (size_t i = start; i < *p; ++i) v = v * 10 + static_cast<int>(re_[i] - '0');
    *out = v;
    return true;
  }

  // Go's parseRepeat at pos_ ('{'): {n}, {n,} or {n,m}; false means '{' is a literal.
  bool ParseRepeat(int* min, int* max, size_t* end) const {
    size_t p = pos_ + 1;
    if (!ParseInt(&p, min) || p >= re_.size()) return false;
    if (re_[p] != ',') {
      *max = *min;
    } else {
      ++p;
      if (p >= re_.size()) return false;
      if (re_[p] == '}') {
        *max = -1;
      } else {
        if (!ParseInt(&p, max)) return false;
        if (*max < 0) *min = -1;
      }
    }
    if (p >= re_.size() || re_[p] != '}') return false;
    *end = p + 1;
    return true;
  }

  Result<Node> ParseConcat(int depth) {
    Node concat;
    bool last_repeat = false;     // the last item is a repetition
    bool last_nongreedy = false;  // ... already followed by its non-greedy '?'
    while (pos_ < re_.size()) {
      const char32_t c = re_[pos_];
      if (c == ')') {
        if (depth == 0) return BadPattern(pattern_, "unexpected )");
        return concat;
      }
      if (c == '|') return concat;
      int min = 0, max = 0;
      size_t repeat_end = 0;
      const bool counted = c == '{' && ParseRepeat(&min, &max, &repeat_end);
      if (c == '*' || c == '+' || c == '?' || counted) {
        if (concat.kids.empty()) {
          return BadPattern(pattern_, "missing argument to repetition operator");
        }
        pos_ = counted ? repeat_end : pos_ + 1;
        if (counted && (min < 0 || min > 1000 || max > 1000 || (max >= 0 && min > max))) {
          return BadPattern(pattern_, "invalid repeat count");
        }
        if (last_repeat) {
          if (c == '?' && !last_nongreedy) {  // non-greedy: same language
            last_nongreedy = true;
            continue;
          }
          return BadPattern(pattern_, "invalid nested repetition operator");
        }
        Node rep;
        rep.type = counted ? Type::kRepeat
                   : c == '*' ? Type::kStar
                   : c == '+' ? Type::kPlus
                              : Type::kQuest;
        rep.min = min;
        rep.max = max;
        rep.kids.push_back(std::move(concat.kids.back()));
        concat.kids.back() = std::move(rep);
        last_repeat = true;
        last_nongreedy = false;
        continue;
      }
      last_repeat = false;
      if (c == '(') {
        ++pos_;
        BT_ASSIGN_OR_RETURN(Node group, ParseAlternation(depth + 1));
        if (pos_ >= re_.size()) return BadPattern(pattern_, "missing closing )");
        ++pos_;
        concat.kids.push_back(std::move(group));
      } else if (c == '[') {
        BT_ASSIGN_OR_RETURN(Node cls, ParseClass());
        concat.kids.push_back(std::move(cls));
      } else if (c == '.' || c == '^' || c == '$') {
        ++pos_;
        Node n;
        n.type = c == '.' ? Type::kAny : c == '^' ? Type::kBegin : Type::kEnd;
        concat.kids.push_back(std::move(n));
      } else if (c == '\\') {
        BT_TRY(ParseTopEscape(&concat));
      } else {
        ++pos_;
        concat.kids.push_back(Rune(c));
      }
    }
    if (depth > 0) return BadPattern(pattern_, "missing closing )");
    return concat;
  }

  static Node Rune(char32_t r) {
    Node n;
    n.type = Type::kRune;
    n.rune = r;
    return n;
  }

  Node Class(Ranges ranges) {
    Node n;
    n.type = Type::kClass;
    n.cls = static_cast<int32_t>(glob_->classes_.size());
    glob_->classes_.push_back(Normalize(std::move(ranges)));
    return n;
  }

  Result<void> ParseTopEscape(Node* concat) {
    if (pos_ + 1 >= re_.size()) return BadPattern(pattern_, "trailing backslash");
    const char32_t c = re_[pos_ + 1];
    Node n;
    switch (c) {
      case 'A':
        pos_ += 2;
        n.type = Type::kBegin;
        concat->kids.push_back(n);
        return {};
      case 'z':
        pos_ += 2;
        n.type = Type::kEnd;
        concat->kids.push_back(n);
        return {};
      case 'Q': {  // literal text up to \E
        pos_ += 2;
        while (pos_ < re_.size()) {
          if (re_[pos_] == '\\' && pos_ + 1 < re_.size() && re_[pos_ + 1] == 'E') {
            pos_ += 2;
            break;
          }
          concat->kids.push_back(Rune(re_[pos_++]));
        }
        return {};
      }
      case 'b':
      case 'B':
        pos_ += 2;
        n.type = c == 'b' ? Type::kWordBoundary : Type::kNotWordBoundary;
        concat->kids.push_back(n);
        return {};
      case 'p': case 'P':
        return BadPattern(pattern_, "the regexp escape \\" + std::string(1, static_cast<char>(c)) +
                                        " is not supported");
      default:
        break;
    }
    Ranges perl;
    if (PerlClass(c, &perl)) {
      pos_ += 2;
      concat->kids.push_back(Class(std::move(perl)));
      return {};
    }
    BT_ASSIGN_OR_RETURN(char32_t r, ParseEscape());
    concat->kids.push_back(Rune(r));
    return {};
  }

  // Go regexp/syntax parseEscape: pos_ is at the backslash.
  Result<char32_t> ParseEscape() {
    if (pos_ + 1 >= re_.size()) return BadPattern(pattern_, "trailing backslash");
    const char32_t c = re_[pos_ + 1];
    pos_ += 2;
    auto peek = [&]() -> char32_t { return pos_ < re_.size() ? re_[pos_] : kRuneError; };
    if (c < 0x80 && !IsAsciiAlnum(c)) return c;
    switch (c) {
      case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        if (peek() < '0' || peek() > '7') break;  // a backreference: unsupported by Go
        [[fallthrough]];
      case '0': {
        char32_t r = c - '0';
        for (int i = 1; i < 3 && peek() >= '0' && peek() <= '7'; ++i) r = r * 8 + (re_[pos_++] - '0');
        return r;
      }
      case 'x': {
        if (pos_ >= re_.size()) break;
        if (re_[pos_] == '{') {
          ++pos_;
          char32_t r = 0;
          int nhex = 0;
          while (pos_ < re_.size() && re_[pos_] != '}') {
            const int v = Unhex(re_[pos_++]);
            if (v < 0) return BadPattern(pattern_, "invalid escape sequence");
            r = r * 16 + v;
            if (r > kMaxRune) return BadPattern(pattern_, "invalid escape sequence");
            ++nhex;
          }
          if (pos_ >= re_.size() || nhex == 0) break;
          ++pos_;
          return r;
        }
        const int x = Unhex(re_[pos_++]);
        const int y = pos_ < re_.size() ? Unhex(re_[pos_++]) : -1;
        if (x < 0 || y < 0) break;
        return static_cast<char32_t>(x * 16 + y);
      }
      case 'a': return 7;
      case 'f': return 12;
      case 'n': return 10;
      case 'r': return 13;
      case 't': return 9;
      case 'v': return 11;
      default: break;
    }
    return BadPattern(pattern_, "invalid escape sequence in its regexp translation");
  }

  // Go regexp/syntax parseClass: pos_ is at '['.
  Result<Node> ParseClass() {
    ++pos_;
    bool negated = false;
    if (pos_ < re_.size() && re_[pos_] == '^') {
      negated = true;
      ++pos_;
    }
    Ranges ranges;
    for (bool first = true; pos_ >= re_.size() || re_[pos_] != ']' || first; first = false) {
      if (pos_ >= re_.size()) return BadPattern(pattern_, "missing closing ]");
      if (re_[pos_] == '[' && pos_ + 2 < re_.size() && re_[pos_ + 1] == ':') {
        const size_t end = re_.find(U":]", pos_ + 2);
        if (end != std::u32string_view::npos) {
          if (!PosixClass(re_.substr(pos_ + 2, end - pos_ - 2), &ranges)) {
            return BadPattern(pattern_, "invalid character class range");
          }
          pos_ = end + 2;
          continue;
        }
      }
      if (re_[pos_] == '\\' && pos_ + 1 < re_.size()) {
        const char32_t e = re_[pos_ + 1];
        if (e == 'p' || e == 'P') return BadPattern(pattern_, "unicode classes are not supported");
        if (PerlClass(e, &ranges)) {
          pos_ += 2;
          continue;
        }
      }
      BT_ASSIGN_OR_RETURN(char32_t lo, ClassChar());
      char32_t hi = lo;
      if (pos_ + 1 < re_.size() && re_[pos_] == '-' && re_[pos_ + 1] != ']') {
        ++pos_;
        BT_ASSIGN_OR_RETURN(hi, ClassChar());
        if (hi < lo) return BadPattern(pattern_, "invalid character class range");
      }
      ranges.emplace_back(lo, hi);
    }
    ++pos_;  // ']'
    return Class(negated ? Complement(ranges) : std::move(ranges));
  }

  Result<char32_t> ClassChar() {
    if (pos_ >= re_.size()) return BadPattern(pattern_, "missing closing ]");
    if (re_[pos_] == '\\') return ParseEscape();
    return re_[pos_++];
  }

  int32_t Push(State s) {
    glob_->states_.push_back(s);
    return static_cast<int32_t>(glob_->states_.size() - 1);
  }

  // Emits `n` so that it continues at state `next`; returns its first state.
  int32_t Emit(const Node& n, int32_t next) {
    switch (n.type) {
      case Type::kRune: return Push({Op::kRune, n.rune, -1, next, -1});
      case Type::kClass: return Push({Op::kClass, 0, n.cls, next, -1});
      case Type::kAny: return Push({Op::kAnyNotNewline, 0, -1, next, -1});
      case Type::kBegin: return Push({Op::kBeginText, 0, -1, next, -1});
      case Type::kEnd: return Push({Op::kEndText, 0, -1, next, -1});
      case Type::kWordBoundary: return Push({Op::kWordBoundary, 0, -1, next, -1});
      case Type::kNotWordBoundary: return Push({Op::kNotWordBoundary, 0, -1, next, -1});
      case Type::kConcat:
        for (auto it = n.kids.rbegin(); it != n.kids.rend(); ++it) next = Emit(*it, next);
        return next;
      case Type::kStar:
      case Type::kPlus: {
        const int32_t split = Push({Op::kSplit, 0, -1, -1, next});
        const int32_t body = Emit(n.kids[0], split);
        glob_->states_[split].out = body;
        return n.type == Type::kStar ? split : body;
      }
      case Type::kQuest: {
        const int32_t body = Emit(n.kids[0], next);
        return Push({Op::kSplit, 0, -1, body, next});
      }
      case Type::kAlternation: {
        int32_t start = Emit(n.kids.back(), next);
        for (size_t i = n.kids.size() - 1; i-- > 0;) {
          start = Push({Op::kSplit, 0, -1, Emit(n.kids[i], next), start});
        }
        return start;
      }
      case Type::kRepeat: {
        // x{2,4} is xx(x(x)?)? and x{2,} is xxx*, built back to front.
        int32_t cont = next;
        if (n.max < 0) {
          const int32_t split = Push({Op::kSplit, 0, -1, -1, next});
          glob_->states_[split].out = Emit(n.kids[0], split);
          cont = split;
        } else {
          for (int i = n.min; i < n.max; ++i) {
            cont = Push({Op::kSplit, 0, -1, Emit(n.kids[0], cont), next});
          }
        }
        for (int i = 0; i < n.min; ++i) cont = Emit(n.kids[0], cont);
        return cont;
      }
    }
    return next;
  }

  std::u32string_view re_;
  std::string_view pattern_;
  PathGlob* glob_;
  size_t pos_ = 0;
};

// Thompson simulation: the set of live states after each rune, never more than one copy
// of a state, so a match costs O(runes * states). Zero-width assertions are decided when
// the runes on both sides are known, so the epsilon closure is taken just before each
// rune is consumed (and once more at the end, or at a '/' to test a parent).
class PathGlob::Simulation {
 public:
  explicit Simulation(const PathGlob& glob) : g_(glob), mark_(glob.states_.size(), 0) {}

  // Whether all of `s` matches. With `at_slash` set, also whether a prefix of `s` that
  // ends right before a '/' does (the parents of filepath.Dir's result).
  //
  // Go's Regexp.MatchString searches: a match may start anywhere, so the start state is
  // seeded at every position, and reaching kMatch anywhere is a match. The translation is
  // anchored by its "^" and "$" unless an unescaped '|' splits it (see ShouldEscape).
  // A match reached inside `s` also makes every longer parent, `s` itself included, match.
  bool Run(std::string_view s, bool at_slash) {
    seeds_.clear();
    int32_t prev = kNoRune;
    while (!s.empty()) {
      size_t n = 0;
      const auto r = static_cast<int32_t>(DecodeRune(s, &n));
      s.remove_prefix(n);
      seeds_.push_back(g_.start_);
      if (at_slash && r == '/' && Closure(prev, kNoRune)) return true;
      if (Closure(prev, r)) return true;
      seeds_.clear();
      for (const int32_t id : cur_) {
        const State& st = g_.states_[id];
        if (Consumes(st, static_cast<char32_t>(r))) seeds_.push_back(st.out);
      }
      prev = r;
    }
    seeds_.push_back(g_.start_);
    return Closure(prev, kNoRune);
  }

 private:
  static constexpr int32_t kNoRune = -1;  // before the text or after it

  static bool IsWordRune(int32_t r) {
    return r == '_' || (r >= 0 && r < 0x80 && IsAsciiAlnum(static_cast<char32_t>(r)));
  }

  bool Consumes(const State& st, char32_t r) const {
    switch (st.op) {
      case Op::kRune: return st.rune == r;
      case Op::kAnyNotNewline: return r != '\n';
      case Op::kClass: {
        const RuneClass& c = g_.classes_[st.cls];
        // The first range starting after r; the one before it is the only candidate.
        auto it = std::upper_bound(c.begin(), c.end(), r,
                                   [](char32_t v, const auto& range) { return v < range.first; });
        return it != c.begin() && r >= std::prev(it)->first && r <= std::prev(it)->second;
      }
      default: return false;
    }
  }

  bool Holds(Op op, int32_t prev, int32_t next) const {
    switch (op) {
      case Op::kBeginText: return prev == kNoRune;
      case Op::kEndText: return next == kNoRune;
      case Op::kWordBoundary: return IsWordRune(prev) != IsWordRune(next);
      case Op::kNotWordBoundary: return IsWordRune(prev) == IsWordRune(next);
      default: return false;
    }
  }

  // Fills cur_ with the consuming states reachable from seeds_ through splits and through
  // the assertions that hold between `prev` and `next`; returns whether kMatch is reached.
  bool Closure(int32_t prev, int32_t next) {
    cur_.clear();
    ++gen_;
    bool match = false;
    stack_.assign(seeds_.rbegin(), seeds_.rend());
    while (!stack_.empty()) {
      const int32_t id = stack_.back();
      stack_.pop_back();
      if (id < 0 || mark_[id] == gen_) continue;
      mark_[id] = gen_;
      const State& st = g_.states_[id];
      switch (st.op) {
        case Op::kSplit:
          stack_.push_back(st.out1);
          stack_.push_back(st.out);
          break;
        case Op::kBeginText:
        case Op::kEndText:
        case Op::kWordBoundary:
        case Op::kNotWordBoundary:
          if (Holds(st.op, prev, next)) stack_.push_back(st.out);
          break;
        case Op::kMatch:
          match = true;
          break;
        default:
          cur_.push_back(id);
      }
    }
    return match;
  }

  const PathGlob& g_;
  std::vector<uint32_t> mark_;  // mark_[state] == gen_: already visited by this closure
  uint32_t gen_ = 0;
  std::vector<int32_t> seeds_;  // states entered by the last rune (the start at first)
  std::vector<int32_t> cur_;    // their closure: the states that consume the next rune
  std::vector<int32_t> stack_;
};

Result<PathGlob> PathGlob::Compile(std::string_view pattern) {
  if (!IsValidFilepathMatchSyntax(pattern)) return BadPattern(pattern, "syntax error in pattern");
  PathGlob glob;
  glob.pattern_ = std::string(pattern);
  // Pattern.compile, rune for rune.
  const std::u32string runes = DecodeAll(pattern);
  std::u32string re = U"^";
  Kind kind = Kind::kExact;
  size_t p = 0;
  for (int i = 0; p < runes.size(); ++i) {
    const char32_t ch = runes[p++];
    if (ch == '*') {
      if (p < runes.size() && runes[p] == '*') {
        ++p;
        if (p < runes.size() && runes[p] == '/') ++p;  // "**/" is "**"
        if (p == runes.size()) {
          if (kind == Kind::kExact) {
            kind = Kind::kPrefix;
          } else {
            re += U".*";
            kind = Kind::kRegexp;
          }
        } else {
          re += U"(.*/)?";
          kind = Kind::kRegexp;
        }
        if (i == 0) kind = Kind::kSuffix;
      } else {
        re += U"[^/]*";
        kind = Kind::kRegexp;
      }
    } else if (ch == '?') {
      re += U"[^/]";
      kind = Kind::kRegexp;
    } else if (ShouldEscape(ch)) {
      re += U'\\';
      re += ch;
    } else if (ch == '\\') {
      re += U'\\';
      if (p < runes.size()) {
        re += runes[p++];
        kind = Kind::kRegexp;
      }
    } else if (ch == '[' || ch == ']') {
      re += ch;
      kind = Kind::kRegexp;
    } else {
      re += ch;
    }
  }
  glob.kind_ = kind;
  if (kind == Kind::kRegexp) {
    re += U'$';
    Compiler compiler(re, pattern, &glob);
    BT_TRY(compiler.Run());
  }
  return glob;
}

bool PathGlob::MatchesLiteralKind(std::string_view path) const {
  std::string_view pat = pattern_;
  switch (kind_) {
    case Kind::kExact:
      return path == pat;
    case Kind::kPrefix:
      return path.substr(0, pat.size() - 2) == pat.substr(0, pat.size() - 2);
    case Kind::kSuffix: {
      const std::string_view suffix = pat.substr(2);
      if (path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix) {
        return true;
      }
      return !suffix.empty() && suffix[0] == '/' && path == suffix.substr(1);  // **/foo ~ foo
    }
    case Kind::kRegexp:
      break;
  }
  return false;
}

bool PathGlob::Matches(std::string_view path) const {
  if (kind_ != Kind::kRegexp) return MatchesLiteralKind(path);
  Simulation sim(*this);
  return sim.Run(path, /*at_slash=*/false);
}

bool PathGlob::MatchesSelfOrParent(std::string_view path) const {
  if (Matches(path)) return true;
  // filepath.Dir(path): everything before the last '/', cleaned.
  const size_t slash = path.rfind('/');
  const std::string dir =
      CleanSlashPath(slash == std::string_view::npos ? std::string_view() : path.substr(0, slash + 1));
  if (dir == ".") return false;
  if (kind_ == Kind::kRegexp) {
    Simulation sim(*this);
    return sim.Run(dir, /*at_slash=*/true);
  }
  // The parents are the prefixes of `dir` that end before each '/', then `dir` itself.
  for (size_t i = 0; i <= dir.size(); ++i) {
    if ((i == dir.size() || dir[i] == '/') && MatchesLiteralKind(std::string_view(dir).substr(0, i))) {
      return true;
    }
  }
  return false;
}

std::string CleanSlashPath(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    const std::string_view part = path.substr(i, j - i);
    i = j + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += '/';
    out += parts[k];
  }
  if (out.empty()) return ".";
  return out;
}

}  // namespace bt::cache
