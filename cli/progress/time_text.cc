#include "cli/progress/time_text.h"

#include <cstdio>
#include <ctime>

namespace bt::cli {

std::string FormatSeconds(std::chrono::nanoseconds duration) {
  char text[64];
  std::snprintf(text, sizeof text, "%.1fs", std::chrono::duration<double>(duration).count());
  return text;
}

std::string FormatLogOffset(std::chrono::nanoseconds offset) {
  const double seconds = std::chrono::duration<double>(offset).count();
  const int precision = seconds < 10 ? 3 : seconds < 100 ? 2 : 1;
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", precision, seconds);
  return text;
}

std::string FormatRfc3339Nano(std::chrono::system_clock::time_point time) {
  using std::chrono::duration_cast;
  const auto since_epoch = duration_cast<std::chrono::nanoseconds>(time.time_since_epoch());
  // floor, not truncation, so instants before 1970 keep a non-negative fraction.
  const auto whole = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const long long fraction = (since_epoch - whole).count();
  const std::time_t seconds = static_cast<std::time_t>(whole.count());
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%s.%09lldZ", date, fraction);
  return text;
}

}  // namespace bt::cli
