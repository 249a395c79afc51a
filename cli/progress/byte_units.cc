#include "cli/progress/byte_units.h"

#include <array>
#include <cstdio>

namespace bt::cli {

std::string FormatBytes(std::uint64_t bytes) {
  // units.Bytes.floatValue: climb while the count reaches the next power of 1000.
  static constexpr std::array<const char*, 7> kUnits = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  std::size_t unit = 0;
  std::uint64_t base = 1;
  while (unit + 1 < kUnits.size() && bytes / base >= 1000) {
    base *= 1000;
    ++unit;
  }
  char text[64];
  if (unit == 0) {
    std::snprintf(text, sizeof text, "%lluB", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(text, sizeof text, "%.2f%s", static_cast<double>(bytes) / static_cast<double>(base), kUnits[unit]);
  }
  return text;
}

}  // namespace bt::cli
