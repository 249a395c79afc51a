#include "frontend/parser/json_array.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

// encoding/json's scanner limit (maxNestingDepth).
constexpr std::size_t kMaxDepth = 10000;

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A cursor over the text; every Scan* function returns false on a syntax error.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text) {}

  void SkipSpace() {
    while (pos_ < s_.size() && IsJsonSpace(s_[pos_])) ++pos_;
  }
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return s_[pos_]; }
  void Advance() { ++pos_; }

  // A string starting at '"'; appends its decoded value to *out when out is not null.
  bool ScanString(std::string* out) {
    ++pos_;  // opening quote
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c == '\\') {
        if (!ScanEscape(out)) return false;
        continue;
      }
      const unicode::DecodedRune d = unicode::DecodeRune(s_.substr(pos_));
      if (out) {
        if (d.rune == unicode::kReplacementChar && d.width == 1) {
          unicode::AppendRune(*out, unicode::kReplacementChar);
        } else {
          out->append(s_.substr(pos_, d.width));
        }
      }
      pos_ += d.width;
    }
    return false;  // unterminated
  }

  // A number; sets *overflow when it does not fit a float64 (strconv.ParseFloat's ErrRange
  // for too-large values; too-small values round to zero without an error).
  bool ScanNumber(bool* overflow) {
    const std::size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size()) return false;
    if (s_[pos_] == '0') {
      ++pos_;
    } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
      while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
    } else {
      return false;
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (pos_ >= s_.size() || !IsDigit(s_[pos_])) return false;
      while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= s_.size() || !IsDigit(s_[pos_])) return false;
      while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
    }
    const std::string literal(s_.substr(start, pos_ - start));
    errno = 0;
    const double v = std::strtod(literal.c_str(), nullptr);
    if (errno == ERANGE && std::isinf(v)) *overflow = true;
    return true;
  }

  bool ScanLiteral(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

 private:
  // Reads four hex digits at pos_; -1 when they are not there.
  int ReadHex4() {
    if (pos_ + 4 > s_.size()) return -1;
    int v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = HexValue(s_[pos_ + i]);
      if (h < 0) return -1;
      v = v * 16 + h;
    }
    return v;
  }

  bool ScanEscape(std::string* out) {
    ++pos_;  // backslash
    if (pos_ >= s_.size()) return false;
    const char e = s_[pos_++];
    char simple = 0;
    switch (e) {
      case '"': simple = '"'; break;
      case '\\': simple = '\\'; break;
      case '/': simple = '/'; break;
      case 'b': simple = '\b'; break;
      case 'f': simple = '\f'; break;
      case 'n': simple = '\n'; break;
      case 'r': simple = '\r'; break;
      case 't': simple = '\t'; break;
      case 'u': break;
      default: return false;
    }
    if (simple) {
      if (out) out->push_back(simple);
      return true;
    }
    const int first = ReadHex4();
    if (first < 0) return false;
    pos_ += 4;
    char32_t rune = static_cast<char32_t>(first);
    if (first >= 0xD800 && first <= 0xDFFF) {
      // A surrogate combines with a following \uDC00-\uDFFF escape; otherwise it is U+FFFD
      // and whatever follows is read on its own (encoding/json's unquote).
      rune = unicode::kReplacementChar;
      if (first < 0xDC00 && pos_ + 6 <= s_.size() && s_[pos_] == '\\' && s_[pos_ + 1] == 'u') {
        pos_ += 2;
        const int second = ReadHex4();
        pos_ -= 2;
        if (second >= 0xDC00 && second <= 0xDFFF) {
          rune = 0x10000 + ((static_cast<char32_t>(first) - 0xD800) << 10) +
                 (static_cast<char32_t>(second) - 0xDC00);
          pos_ += 6;
        }
      }
    }
    if (out) unicode::AppendRune(*out, rune);
    return true;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

JsonArray ParseJsonArray(std::string_view text) {
  JsonArray result;
  if (text.empty() || text[0] != '[') return result;

  Scanner sc(text);
  std::vector<char> stack;  // '[' or '{' per open container
  std::vector<std::string> strings;
  bool all_strings = true;
  bool overflow = false;

  // The scanner is iterative so that deep nesting cannot exhaust the stack.
  sc.Advance();
  stack.push_back('[');
  enum class Expect { kValueOrClose, kValue, kCommaOrClose, kKey };
  Expect expect = Expect::kValueOrClose;
  while (!stack.empty()) {
    sc.SkipSpace();
    if (sc.AtEnd()) return result;
    const char c = sc.Peek();
    const bool top_level = stack.size() == 1;
    if (expect == Expect::kCommaOrClose) {
      if (c == ',') {
        sc.Advance();
        expect = stack.back() == '{' ? Expect::kKey : Expect::kValue;
        continue;
      }
      if ((c == ']' && stack.back() == '[') || (c == '}' && stack.back() == '{')) {
        sc.Advance();
        stack.pop_back();
        expect = Expect::kCommaOrClose;
        continue;
      }
      return result;
    }
    if (expect == Expect::kKey) {
      if (c != '"' || !sc.ScanString(nullptr)) return result;
      sc.SkipSpace();
      if (sc.AtEnd() || sc.Peek() != ':') return result;
      sc.Advance();
      expect = Expect::kValue;
      continue;
    }
    if (expect == Expect::kValueOrClose && (c == ']' || c == '}')) {
      // Only the matching closer of an empty container is valid here.
      if ((c == ']') != (stack.back() == '[')) return result;
      sc.Advance();
      stack.pop_back();
      expect = Expect::kCommaOrClose;
      continue;
    }
    // A value.
    if (c == '[' || c == '{') {
      if (top_level) all_strings = false;
      if (stack.size() >= kMaxDepth) return result;
      sc.Advance();
      stack.push_back(c);
      expect = c == '{' ? Expect::kKey : Expect::kValueOrClose;
      if (c == '{') {
        sc.SkipSpace();
        if (!sc.AtEnd() && sc.Peek() == '}') {
          sc.Advance();
          stack.pop_back();
          expect = Expect::kCommaOrClose;
        }
      }
      continue;
    }
    if (c == '"') {
      std::string* out = nullptr;
      if (top_level) out = &strings.emplace_back();
      if (!sc.ScanString(out)) return result;
    } else if (c == '-' || IsDigit(c)) {
      if (top_level) all_strings = false;
      if (!sc.ScanNumber(&overflow)) return result;
    } else if (c == 't' || c == 'f' || c == 'n') {
      if (top_level) all_strings = false;
      if (!sc.ScanLiteral(c == 't' ? "true" : c == 'f' ? "false" : "null")) return result;
    } else {
      return result;
    }
    expect = Expect::kCommaOrClose;
  }
  sc.SkipSpace();
  if (!sc.AtEnd() || overflow) return result;
  if (!all_strings) {
    result.kind = JsonArrayKind::kNotStrings;
    return result;
  }
  result.kind = JsonArrayKind::kStrings;
  result.elements = std::move(strings);
  return result;
}

}  // namespace bt::frontend
