// How progress writes times: BuildKit's precisions (printer.go DONE lines, display.go log
// timestamps) and RFC 3339 for rawjson.
#include "cli/progress/time_text.h"

#include <catch2/catch.hpp>

namespace bt::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST_CASE("durations print with one decimal and an s", "[cli][time_text]") {
  CHECK(FormatSeconds(nanoseconds(0)) == "0.0s");
  CHECK(FormatSeconds(milliseconds(40)) == "0.0s");
  CHECK(FormatSeconds(milliseconds(1260)) == "1.3s");
  CHECK(FormatSeconds(seconds(125)) == "125.0s");
}

TEST_CASE("log timestamps keep three decimals under 10s, two under 100s, then one", "[cli][time_text]") {
  CHECK(FormatLogOffset(nanoseconds(0)) == "0.000");
  CHECK(FormatLogOffset(nanoseconds(123456789)) == "0.123");
  CHECK(FormatLogOffset(milliseconds(9999)) == "9.999");
  CHECK(FormatLogOffset(milliseconds(12500)) == "12.50");
  CHECK(FormatLogOffset(milliseconds(123400)) == "123.4");
}

TEST_CASE("instants print as RFC 3339 UTC with nine fraction digits", "[cli][time_text]") {
  const std::chrono::system_clock::time_point t{seconds(1714564803)};
  CHECK(FormatRfc3339Nano(t) == "2024-05-01T12:00:03.000000000Z");
  CHECK(FormatRfc3339Nano(t + milliseconds(120)) == "2024-05-01T12:00:03.120000000Z");
  CHECK(FormatRfc3339Nano(t + nanoseconds(7)) == "2024-05-01T12:00:03.000000007Z");
  CHECK(FormatRfc3339Nano(std::chrono::system_clock::time_point{}) ==
        "1970-01-01T00:00:00.000000000Z");
  CHECK(FormatRfc3339Nano(std::chrono::system_clock::time_point{} - milliseconds(250)) ==
        "1969-12-31T23:59:59.750000000Z");
}

}  // namespace
}  // namespace bt::cli
