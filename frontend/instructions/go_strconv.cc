#include "frontend/instructions/go_strconv.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

enum class UintError { kNone, kSyntax, kRange };

struct UintResult {
  std::uint64_t value = 0;
  UintError error = UintError::kNone;
};

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// strconv.ParseUint's loop for an explicit base (2..36): the first bad digit or the first
// overflow decides the error, as in Go.
UintResult ParseUintDigits(std::string_view s, int base, int bits) {
  if (s.empty()) return {0, UintError::kSyntax};
  const std::uint64_t max_value = bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
  const std::uint64_t b = static_cast<std::uint64_t>(base);
  const std::uint64_t cutoff = ~std::uint64_t{0} / b + 1;  // the smallest n with n*b overflowing
  std::uint64_t n = 0;
  for (char c : s) {
    const int d = DigitValue(c);
    if (d >= base) return {0, UintError::kSyntax};
    if (n >= cutoff) return {max_value, UintError::kRange};
    n *= b;
    const std::uint64_t n1 = n + static_cast<std::uint64_t>(d);
    if (n1 < n || n1 > max_value) return {max_value, UintError::kRange};
    n = n1;
  }
  return {n, UintError::kNone};
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsDecimal(char c) { return c >= '0' && c <= '9'; }
bool IsHexLetter(char c) { return Lower(c) >= 'a' && Lower(c) <= 'f'; }

// strconv.underscoreOK: every `_` sits between digits (a base prefix counts as a digit).
bool UnderscoresOk(std::string_view s) {
  char saw = '^';
  std::size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' &&
      (Lower(s[1]) == 'b' || Lower(s[1]) == 'o' || Lower(s[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = Lower(s[1]) == 'x';
  }
  for (; i < s.size(); ++i) {
    if (IsDecimal(s[i]) || (hex && IsHexLetter(s[i]))) {
      saw = '0';
      continue;
    }
    if (s[i] == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

// The length of the float literal at the start of s (strconv.readFloat's syntax), or
// nullopt when there is none.
std::optional<std::size_t> FloatLiteralLength(std::string_view s) {
  std::size_t i = 0;
  bool underscores = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  bool hex = false;
  if (i + 2 < s.size() && s[i] == '0' && Lower(s[i + 1]) == 'x') {
    hex = true;
    i += 2;
  }
  bool saw_dot = false;
  bool saw_digits = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      underscores = true;
    } else if (c == '.') {
      if (saw_dot) break;
      saw_dot = true;
    } else if (IsDecimal(c) || (hex && IsHexLetter(c))) {
      saw_digits = true;
    } else {
      break;
    }
  }
  if (!saw_digits) return std::nullopt;
  if (i < s.size() && Lower(s[i]) == (hex ? 'p' : 'e')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= s.size() || !IsDecimal(s[i])) return std::nullopt;
    for (; i < s.size() && (IsDecimal(s[i]) || s[i] == '_'); ++i) underscores |= s[i] == '_';
  } else if (hex) {
    return std::nullopt;  // a hexadecimal mantissa needs an exponent
  }
  if (underscores && !UnderscoresOk(s.substr(0, i))) return std::nullopt;
  return i;
}

// strconv.special: "inf", "infinity" (signed) and "nan" (unsigned), in any case, exactly.
std::optional<double> SpecialFloat(std::string_view s) {
  const auto equals_ignoring_case = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (Lower(a[i]) != b[i]) return false;
    }
    return true;
  };
  if (equals_ignoring_case(s, "nan")) return std::numeric_limits<double>::quiet_NaN();
  double sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  if (equals_ignoring_case(s, "inf") || equals_ignoring_case(s, "infinity")) {
    return sign * std::numeric_limits<double>::infinity();
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> ParseGoFloat(std::string_view s) {
  if (std::optional<double> special = SpecialFloat(s)) return special;
  const std::optional<std::size_t> length = FloatLiteralLength(s);
  if (!length || *length != s.size()) return std::nullopt;
  std::string digits;
  for (char c : s) {
    if (c != '_') digits.push_back(c);
  }
  const double value = std::strtod(digits.c_str(), nullptr);
  if (std::isinf(value)) return std::nullopt;  // Go: ErrRange on overflow
  return value;
}

std::optional<bool> ParseGoBool(std::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") return true;
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") {
    return false;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> ParseGoUint(std::string_view s, int base, int bits) {
  const UintResult r = ParseUintDigits(s, base, bits);
  if (r.error != UintError::kNone) return std::nullopt;
  return r.value;
}

Result<std::int64_t> ParseGoInt(std::string_view s, int bits) {
  const auto fail = [s](std::string_view why) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "strconv.ParseInt: parsing " + unicode::Quote(s) + ": " + std::string(why));
  };
  std::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  const UintResult r = ParseUintDigits(digits, 10, bits);
  if (r.error == UintError::kSyntax) return fail("invalid syntax");
  const std::uint64_t cutoff = std::uint64_t{1} << (bits - 1);
  if (r.error == UintError::kRange || (!negative && r.value >= cutoff) ||
      (negative && r.value > cutoff)) {
    return fail("value out of range");
  }
  return negative ? static_cast<std::int64_t>(0 - r.value) : static_cast<std::int64_t>(r.value);
}

}  // namespace bt::frontend
