#include "frontend/instructions/ram_size.h"

#include <cmath>
#include <limits>
#include <string>

#include "frontend/instructions/go_strconv.h"
#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

// Go's int64(f) on amd64: truncation, and 0x8000000000000000 for NaN and out-of-range values.
std::int64_t GoFloatToInt64(double f) {
  if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0)) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return static_cast<std::int64_t>(f);
}

}  // namespace

// docker/go-units RAMInBytes (parseSize with binary multipliers): "128m", "1.5GiB", "64 kb",
// "100" (bytes). nullopt for anything it rejects; BuildKit drops its message anyway.
std::optional<std::int64_t> RamInBytes(std::string_view text) {
  const std::size_t sep = text.find_last_of("0123456789. ");
  if (sep == std::string_view::npos) return std::nullopt;
  const std::string_view num = text[sep] != ' ' ? text.substr(0, sep + 1) : text.substr(0, sep);
  const std::string_view raw_suffix = text.substr(sep + 1);
  std::optional<double> size = ParseGoFloat(num);
  if (!size || *size < 0) return std::nullopt;
  if (raw_suffix.empty()) return GoFloatToInt64(*size);
  if (raw_suffix.size() > 3) return std::nullopt;
  const std::string suffix = unicode::ToLower(raw_suffix);  // Go lowers runes, not bytes
  if (suffix[0] == 'b') {
    if (suffix.size() > 1) return std::nullopt;
    return GoFloatToInt64(*size);
  }
  // binaryMap: k, m, g, t, p are 1024^1 .. 1024^5.
  constexpr std::string_view kUnits = "kmgtp";
  const std::size_t unit = kUnits.find(suffix[0]);
  if (unit == std::string_view::npos) return std::nullopt;
  const double multiplier = std::pow(1024.0, static_cast<double>(unit + 1));
  if (suffix.size() == 2 && suffix[1] != 'b') return std::nullopt;
  if (suffix.size() == 3 && suffix.substr(1) != "ib") return std::nullopt;
  return GoFloatToInt64(*size * multiplier);
}

}  // namespace bt::frontend
