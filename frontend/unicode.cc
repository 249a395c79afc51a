#include "frontend/unicode.h"

#include <algorithm>

#include "frontend/unicode_tables.h"

namespace bt::frontend::unicode {
namespace {

bool InRanges(const tables::RuneRange* table, std::size_t size, char32_t r) {
  const tables::RuneRange* end = table + size;
  const tables::RuneRange* it = std::upper_bound(
      table, end, r, [](char32_t v, const tables::RuneRange& range) { return v < range.first; });
  if (it == table) return false;
  --it;
  return r <= it->last;
}

bool IsContinuation(unsigned char b) { return (b & 0xC0) == 0x80; }

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

DecodedRune DecodeRune(std::string_view s) {
  if (s.empty()) return {kReplacementChar, 0};
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return {b0, 1};
  const DecodedRune invalid{kReplacementChar, 1};
  int need;
  char32_t r;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    r = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    r = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    r = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // > U+10FFFF
  } else {
    return invalid;
  }
  if (s.size() < static_cast<std::size_t>(need) + 1) return invalid;
  const auto b1 = static_cast<unsigned char>(s[1]);
  if (b1 < lo || b1 > hi) return invalid;
  r = (r << 6) | (b1 & 0x3F);
  for (int i = 2; i <= need; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (!IsContinuation(b)) return invalid;
    r = (r << 6) | (b & 0x3F);
  }
  return {r, need + 1};
}

DecodedRune DecodeLastRune(std::string_view s) {
  if (s.empty()) return {kReplacementChar, 0};
  // A rune is at most 4 bytes: find the last start byte within them.
  std::size_t start = s.size() - 1;
  const std::size_t limit = s.size() >= 4 ? s.size() - 4 : 0;
  while (start > limit && IsContinuation(static_cast<unsigned char>(s[start]))) --start;
  DecodedRune d = DecodeRune(s.substr(start));
  if (start + static_cast<std::size_t>(d.width) != s.size()) return {kReplacementChar, 1};
  return d;
}

void AppendRune(std::string& out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kReplacementChar;
  if (r < 0x80) {
    out.push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (r >> 6)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (r >> 12)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (r >> 18)));
    out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

bool IsSpace(char32_t r) {
  switch (r) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

bool IsLetter(char32_t r) {
  if (r < 0x80) return (r | 0x20) >= 'a' && (r | 0x20) <= 'z';
  return InRanges(tables::kLetter, tables::kLetterSize, r);
}

bool IsDigit(char32_t r) {
  if (r < 0x80) return r >= '0' && r <= '9';
  return InRanges(tables::kDigit, tables::kDigitSize, r);
}

bool IsPrint(char32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  return InRanges(tables::kPrint, tables::kPrintSize, r);
}

char32_t ToLower(char32_t r) {
  if (r < 0x80) return (r >= 'A' && r <= 'Z') ? r + 32 : r;
  const tables::LowerPair* end = tables::kLower + tables::kLowerSize;
  const tables::LowerPair* it = std::lower_bound(
      tables::kLower, end, r,
      [](const tables::LowerPair& p, char32_t v) { return p.upper < v; });
  return (it != end && it->upper == r) ? it->lower : r;
}

std::string ToLower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    const DecodedRune d = DecodeRune(s);
    // strings.Map re-encodes an invalid byte as U+FFFD.
    AppendRune(out, ToLower(d.rune));
    s.remove_prefix(d.width);
  }
  return out;
}

std::string_view TrimLeftSpace(std::string_view s) {
  while (!s.empty()) {
    const DecodedRune d = DecodeRune(s);
    if (d.width == 1 && d.rune == kReplacementChar) break;
    if (!IsSpace(d.rune)) break;
    s.remove_prefix(d.width);
  }
  return s;
}

std::string_view TrimRightSpace(std::string_view s) {
  while (!s.empty()) {
    const DecodedRune d = DecodeLastRune(s);
    if (d.width == 1 && d.rune == kReplacementChar) break;
    if (!IsSpace(d.rune)) break;
    s.remove_suffix(d.width);
  }
  return s;
}

std::string_view TrimSpace(std::string_view s) { return TrimRightSpace(TrimLeftSpace(s)); }

std::string Quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  while (!s.empty()) {
    const DecodedRune d = DecodeRune(s);
    const char32_t r = d.rune;
    if (d.width == 1 && r == kReplacementChar) {
      const auto b = static_cast<unsigned char>(s[0]);
      out += "\\x";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
      s.remove_prefix(1);
      continue;
    }
    s.remove_prefix(d.width);
    if (r == '"' || r == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(r));
    } else if (IsPrint(r)) {
      AppendRune(out, r);
    } else if (r >= 0x07 && r <= 0x0D) {
      out.push_back('\\');
      out.push_back("abtnvfr"[r - 0x07]);
    } else if (r < 0x20 || r == 0x7F) {
      out += "\\x";
      out.push_back(kHex[r >> 4]);
      out.push_back(kHex[r & 0xF]);
    } else {
      const bool wide = r >= 0x10000;
      out += wide ? "\\U" : "\\u";
      for (int shift = wide ? 28 : 12; shift >= 0; shift -= 4) out.push_back(kHex[(r >> shift) & 0xF]);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace bt::frontend::unicode
