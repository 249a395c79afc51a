// Expectations from Go's fmt documentation and time's format_test.go (durationTests).
#include "frontend/lowering/go_format.h"

#include <catch2/catch.hpp>

namespace bt::frontend {
namespace {

using std::chrono::nanoseconds;

TEST_CASE("durations print as Go's time.Duration.String does", "[frontend][go_format]") {
  const std::pair<std::int64_t, const char*> cases[] = {
      {0, "0s"},
      {1, "1ns"},
      {1100, "1.1\xC2\xB5s"},
      {2200000, "2.2ms"},
      {3300000000, "3.3s"},
      {240000000000, "4m0s"},
      {290000000000, "4m50s"},
      {18000000000000, "5h0m0s"},
      {18060000000000, "5h1m0s"},
      {90000000000, "1m30s"},
      {5000000000, "5s"},
      {-1, "-1ns"},
  };
  for (const auto& [ns, want] : cases) {
    INFO(ns);
    CHECK(GoDuration(nanoseconds(ns)) == want);
  }
}

TEST_CASE("string lists print as fmt's %q and %v of a []string", "[frontend][go_format]") {
  CHECK(GoQuotedList({"/bin/sh", "-c", "echo \"hi\""}) == R"(["/bin/sh" "-c" "echo \"hi\""])");
  CHECK(GoQuotedList({}) == "[]");
  CHECK(GoPlainList({"/a", "/b c"}) == "[/a /b c]");
}

}  // namespace
}  // namespace bt::frontend
