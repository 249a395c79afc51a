#include "frontend/instructions/duration.h"

#include <cstdint>
#include <string>

namespace bt::frontend {
namespace {

constexpr std::uint64_t kOverflow = std::uint64_t{1} << 63;

// time.quote: ASCII printables as they are (with `"` and `\` escaped), every other byte as
// \xNN. (Go walks runes, but each byte of a multi-byte rune gets its own \xNN, so per byte
// is the same.)
std::string GoTimeQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c >= 0x80 || c < ' ') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += static_cast<char>(c);
  }
  return out + "\"";
}

Error Invalid(std::string_view orig) {
  return MakeError(ErrorCode::kInvalidArgument, "time: invalid duration " + GoTimeQuote(orig));
}

std::uint64_t UnitNanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1'000;  // µ, μ
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60'000'000'000;
  if (unit == "h") return 3'600'000'000'000;
  return 0;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text) {
  const std::string_view orig = text;
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return Invalid(orig);

  std::uint64_t total = 0;
  while (!s.empty()) {
    if (!(s.front() == '.' || IsDigit(s.front()))) return Invalid(orig);

    // The integer part (time.leadingInt): overflow past 1<<63 is invalid.
    std::uint64_t v = 0;
    std::size_t i = 0;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      if (v > kOverflow / 10) return Invalid(orig);
      v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
      if (v > kOverflow) return Invalid(orig);
    }
    const bool pre = i > 0;
    s.remove_prefix(i);

    // The fraction (time.leadingFraction): digits past uint64 precision are dropped.
    std::uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s.front() == '.') {
      s.remove_prefix(1);
      bool overflow = false;
      std::size_t j = 0;
      for (; j < s.size() && IsDigit(s[j]); ++j) {
        if (overflow) continue;
        if (f > (kOverflow - 1) / 10) {
          overflow = true;
          continue;
        }
        const std::uint64_t y = f * 10 + static_cast<std::uint64_t>(s[j] - '0');
        if (y > kOverflow) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return Invalid(orig);

    std::size_t u = 0;
    while (u < s.size() && s[u] != '.' && !IsDigit(s[u])) ++u;
    if (u == 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "time: missing unit in duration " + GoTimeQuote(orig));
    }
    const std::string_view unit_text = s.substr(0, u);
    s.remove_prefix(u);
    const std::uint64_t unit = UnitNanos(unit_text);
    if (unit == 0) {
      return MakeError(ErrorCode::kInvalidArgument, "time: unknown unit " + GoTimeQuote(unit_text) +
                                                        " in duration " + GoTimeQuote(orig));
    }
    if (v > kOverflow / unit) return Invalid(orig);
    v *= unit;
    if (f > 0) {
      // Go uses float64 here "to be nanosecond accurate for fractions of hours".
      v += static_cast<std::uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > kOverflow) return Invalid(orig);
    }
    total += v;
    if (total > kOverflow) return Invalid(orig);
  }
  if (negative) {
    // -(1<<63) is representable; Go's -Duration(d) wraps the same way.
    return std::chrono::nanoseconds(static_cast<std::int64_t>(0 - total));
  }
  if (total > kOverflow - 1) return Invalid(orig);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(total));
}

}  // namespace bt::frontend
