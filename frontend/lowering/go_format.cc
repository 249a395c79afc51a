#include "frontend/lowering/go_format.h"

#include <cstdint>

#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

// Appends v / 10^prec with trailing zeros (and a bare '.') removed, like Go's fmtFrac+fmtInt.
void AppendFraction(std::string& out, std::uint64_t v, int prec) {
  std::string digits;
  bool printed = false;
  for (int i = 0; i < prec; ++i) {
    const int digit = static_cast<int>(v % 10);
    printed = printed || digit != 0;
    if (printed) digits.insert(digits.begin(), static_cast<char>('0' + digit));
    v /= 10;
  }
  out += std::to_string(v);
  if (printed) out += "." + digits;
}

}  // namespace

std::string GoQuotedList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ' ';
    out += unicode::Quote(items[i]);
  }
  return out + "]";
}

std::string GoPlainList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ' ';
    out += items[i];
  }
  return out + "]";
}

std::string GoDuration(std::chrono::nanoseconds d) {
  std::int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string out;
  std::uint64_t u = ns < 0 ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
  if (ns < 0) out += '-';
  if (u < 1000000000ULL) {
    // Below a second: ns, µs or ms with a fraction.
    if (u < 1000ULL) return out + std::to_string(u) + "ns";
    if (u < 1000000ULL) {
      AppendFraction(out, u, 3);
      return out + "\xC2\xB5s";
    }
    AppendFraction(out, u, 6);
    return out + "ms";
  }
  const std::uint64_t hours = u / 3600000000000ULL;
  u %= 3600000000000ULL;
  const std::uint64_t minutes = u / 60000000000ULL;
  u %= 60000000000ULL;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  AppendFraction(out, u, 9);
  return out + "s";
}

}  // namespace bt::frontend
