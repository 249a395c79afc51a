// FormatBytes against tonistiigi/units' documented examples (bytes.go) and its rules: decimal
// units, integer bytes under 1000, "%.2f" above.
#include "cli/progress/byte_units.h"

#include <catch2/catch.hpp>

namespace bt::cli {
namespace {

TEST_CASE("byte counts print as BuildKit's units.Bytes with %.2f", "[cli][byte_units]") {
  CHECK(FormatBytes(0) == "0B");
  CHECK(FormatBytes(123) == "123B");      // bytes.go: 123 * B => "123B"
  CHECK(FormatBytes(999) == "999B");
  CHECK(FormatBytes(1000) == "1.00kB");
  CHECK(FormatBytes(1234) == "1.23kB");   // bytes.go: 1234 * B => "1.23kB"
  CHECK(FormatBytes(1200000) == "1.20MB");
  CHECK(FormatBytes(1024 * 1024) == "1.05MB");
  CHECK(FormatBytes(999999) == "1000.00kB");  // stays in kB below 1e6, as floatValue climbs
  CHECK(FormatBytes(3000000000ULL) == "3.00GB");
  CHECK(FormatBytes(18446744073709551615ULL) == "18.45EB");
}

}  // namespace
}  // namespace bt::cli
