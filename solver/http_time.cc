#include "solver/http_time.h"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace bt::solver {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    const char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

enum class Field {
  kLiteral,
  kWeekday,
  kLongWeekday,
  kMonth,
  kZeroDay,
  kUnderDay,
  kHour,
  kZeroMinute,
  kZeroSecond,
  kLongYear,
  kYear,
  kZone
};
struct Chunk {
  Field field;
  std::string_view literal = {};
};

constexpr std::array<std::string_view, 7> kShortDays = {"Sun", "Mon", "Tue", "Wed",
                                                        "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Go's `lookup`: the table entry `value` starts with, ASCII case-insensitively.
template <std::size_t N>
std::optional<int> Lookup(const std::array<std::string_view, N>& table, std::string_view& value) {
  for (std::size_t k = 0; k < N; ++k) {
    const std::string_view name = table[k];
    if (value.size() >= name.size() && EqualsIgnoreCase(value.substr(0, name.size()), name)) {
      value.remove_prefix(name.size());
      return static_cast<int>(k);
    }
  }
  return std::nullopt;
}

bool IsDigitAt(std::string_view s, std::size_t i) {
  return i < s.size() && s[i] >= '0' && s[i] <= '9';
}

// Go's getnum: one or two digits; `fixed` demands two.
std::optional<int> GetNum(std::string_view& s, bool fixed) {
  if (!IsDigitAt(s, 0)) return std::nullopt;
  if (!IsDigitAt(s, 1)) {
    if (fixed) return std::nullopt;
    const int n = s[0] - '0';
    s.remove_prefix(1);
    return n;
  }
  const int n = (s[0] - '0') * 10 + (s[1] - '0');
  s.remove_prefix(2);
  return n;
}

// Go's `skip`: a literal in which a space matches any run of spaces.
bool SkipLiteral(std::string_view& value, std::string_view literal) {
  while (!literal.empty()) {
    if (literal[0] == ' ') {
      if (!value.empty() && value[0] != ' ') return false;
      while (!literal.empty() && literal[0] == ' ') literal.remove_prefix(1);
      while (!value.empty() && value[0] == ' ') value.remove_prefix(1);
      continue;
    }
    if (value.empty() || value[0] != literal[0]) return false;
    literal.remove_prefix(1);
    value.remove_prefix(1);
  }
  return true;
}

// Go's parseSignedOffset: the length of "+h" or "-h" (any number of digits, value at most
// 23) at the start of `value`, or 0.
std::size_t SignedOffsetLength(std::string_view value) {
  if (value.empty() || (value[0] != '+' && value[0] != '-')) return 0;
  std::size_t end = 1;
  long hours = 0;
  while (IsDigitAt(value, end)) {
    hours = std::min(hours * 10 + (value[end] - '0'), 100L);  // capped: only "> 23" matters
    ++end;
  }
  return end == 1 || hours > 23 ? 0 : end;
}

// Go's parseTimeZone: how many bytes of `value` name a zone, or 0.
std::size_t ZoneLength(std::string_view value) {
  if (value.size() < 3) return 0;
  if (value.substr(0, 4) == "ChST" || value.substr(0, 4) == "MeST") return 4;
  if (value.substr(0, 3) == "GMT") return 3 + SignedOffsetLength(value.substr(3));  // parseGMT
  if (value[0] == '+' || value[0] == '-') return SignedOffsetLength(value);
  std::size_t upper = 0;
  while (upper < 6 && upper < value.size() && value[upper] >= 'A' && value[upper] <= 'Z') ++upper;
  switch (upper) {
    case 3:
      return 3;
    case 4:
      return value[3] == 'T' || value.substr(0, 4) == "WITA" ? 4 : 0;
    case 5:
      return value[4] == 'T' ? 5 : 0;
    default:
      return 0;
  }
}

bool IsLeap(int year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }
int DaysIn(int month, int year) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
std::int64_t DaysFromCivil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Splits a Go reference-time layout into fields and literals, longest element first; only
// the elements the three HTTP layouts use are known ("GMT" is a literal, as in Go).
std::vector<Chunk> CompileLayout(std::string_view layout) {
  static constexpr std::pair<std::string_view, Field> kElements[] = {
      {"Monday", Field::kLongWeekday}, {"Mon", Field::kWeekday}, {"Jan", Field::kMonth},
      {"2006", Field::kLongYear},      {"_2", Field::kUnderDay}, {"MST", Field::kZone},
      {"02", Field::kZeroDay},         {"15", Field::kHour},     {"04", Field::kZeroMinute},
      {"05", Field::kZeroSecond},      {"06", Field::kYear},
  };
  std::vector<Chunk> chunks;
  std::size_t literal_start = 0;
  for (std::size_t i = 0; i < layout.size();) {
    const std::pair<std::string_view, Field>* found = nullptr;
    for (const auto& element : kElements) {
      if (layout.substr(i, element.first.size()) == element.first) {
        found = &element;
        break;
      }
    }
    if (found == nullptr) {
      ++i;
      continue;
    }
    if (i > literal_start) {
      chunks.push_back({Field::kLiteral, layout.substr(literal_start, i - literal_start)});
    }
    chunks.push_back({found->second});
    i += found->first.size();
    literal_start = i;
  }
  if (literal_start < layout.size())
    chunks.push_back({Field::kLiteral, layout.substr(literal_start)});
  return chunks;
}

// time.Parse for one layout, reading every zone as UTC: Go gives an unknown abbreviation a
// zero offset, and GMT+h only a display offset, so the instant is the UTC reading (a name
// that matches the daemon's local zone is the exception we do not copy: no local zone here).
std::optional<std::int64_t> ParseLayout(std::string_view value, const std::vector<Chunk>& layout) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::int64_t nanos = 0;
  for (const Chunk& chunk : layout) {
    std::optional<int> n;
    switch (chunk.field) {
      case Field::kLiteral:
        if (!SkipLiteral(value, chunk.literal)) return std::nullopt;
        continue;
      case Field::kWeekday:
        if (!Lookup(kShortDays, value)) return std::nullopt;
        continue;
      case Field::kLongWeekday:
        if (!Lookup(kLongDays, value)) return std::nullopt;
        continue;
      case Field::kMonth:
        n = Lookup(kMonths, value);
        if (!n) return std::nullopt;
        month = *n + 1;
        continue;
      case Field::kUnderDay:
        if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
        [[fallthrough]];
      case Field::kZeroDay:
        n = GetNum(value, chunk.field == Field::kZeroDay);
        if (!n) return std::nullopt;
        day = *n;
        continue;
      case Field::kHour:
        n = GetNum(value, false);
        if (!n || *n >= 24) return std::nullopt;
        hour = *n;
        continue;
      case Field::kZeroMinute:
        n = GetNum(value, true);
        if (!n || *n >= 60) return std::nullopt;
        minute = *n;
        continue;
      case Field::kZeroSecond:
        n = GetNum(value, true);
        if (!n || *n >= 60) return std::nullopt;
        second = *n;
        // Go accepts a fraction the layout does not mention ("05.123"), up to 9 digits kept.
        if (value.size() >= 2 && (value[0] == '.' || value[0] == ',') && IsDigitAt(value, 1)) {
          std::size_t end = 1;
          while (IsDigitAt(value, end)) ++end;
          std::int64_t scale = 1'000'000'000;
          for (std::size_t k = 1; k < end && k < 10; ++k) {
            scale /= 10;
            nanos += (value[k] - '0') * scale;
          }
          value.remove_prefix(end);
        }
        continue;
      case Field::kLongYear:
        if (value.size() < 4) return std::nullopt;
        year = 0;
        for (std::size_t k = 0; k < 4; ++k) {
          if (!IsDigitAt(value, k)) return std::nullopt;
          year = year * 10 + (value[k] - '0');
        }
        value.remove_prefix(4);
        continue;
      case Field::kYear:
        if (!IsDigitAt(value, 0) || !IsDigitAt(value, 1)) return std::nullopt;
        year = (value[0] - '0') * 10 + (value[1] - '0');
        year += year >= 69 ? 1900 : 2000;
        value.remove_prefix(2);
        continue;
      case Field::kZone: {
        if (value.substr(0, 3) == "UTC") {
          value.remove_prefix(3);
          continue;
        }
        const std::size_t len = ZoneLength(value);
        if (len == 0) return std::nullopt;
        value.remove_prefix(len);
        continue;
      }
    }
  }
  if (!value.empty()) return std::nullopt;  // extra text
  if (month < 1 || day < 1 || day > DaysIn(month, year)) return std::nullopt;
  const std::int64_t seconds =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return seconds * 1'000'000'000 + nanos;
}

}  // namespace

std::optional<std::int64_t> ParseHttpTime(std::string_view text) {
  // http.TimeFormat, time.RFC850, time.ANSIC: the order http.ParseTime tries them in.
  static const std::array<std::vector<Chunk>, 3> kLayouts = {
      CompileLayout("Mon, 02 Jan 2006 15:04:05 GMT"),
      CompileLayout("Monday, 02-Jan-06 15:04:05 MST"),
      CompileLayout("Mon Jan _2 15:04:05 2006"),
  };
  for (const auto& layout : kLayouts) {
    if (std::optional<std::int64_t> t = ParseLayout(text, layout)) return t;
  }
  return std::nullopt;
}

}  // namespace bt::solver
