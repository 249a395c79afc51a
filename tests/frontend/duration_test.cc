// ParseGoDuration against Go's own table (time/time_test.go: parseDurationTests and
// parseDurationErrorTests, Go 1.19), which is what BuildKit's HEALTHCHECK flags go through.
// The 1ms floor of HEALTHCHECK is tested with the builder (instruction_builder_test.cc).
#include "frontend/instructions/duration.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <string>

namespace bt::frontend {
namespace {

using std::chrono::nanoseconds;

constexpr std::int64_t kNs = 1;
constexpr std::int64_t kUs = 1000 * kNs;
constexpr std::int64_t kMs = 1000 * kUs;
constexpr std::int64_t kS = 1000 * kMs;
constexpr std::int64_t kM = 60 * kS;
constexpr std::int64_t kH = 60 * kM;
constexpr std::int64_t kMax = INT64_MAX;
constexpr std::int64_t kMin = INT64_MIN;

struct Good {
  const char* in;
  std::int64_t want;
};

TEST_CASE("durations parse like Go's time.ParseDuration", "[frontend][duration]") {
  const Good cases[] = {
      {"0", 0},
      {"5s", 5 * kS},
      {"30s", 30 * kS},
      {"1478s", 1478 * kS},
      {"-5s", -5 * kS},
      {"+5s", 5 * kS},
      {"-0", 0},
      {"+0", 0},
      {"5.0s", 5 * kS},
      {"5.6s", 5 * kS + 600 * kMs},
      {"5.s", 5 * kS},
      {".5s", 500 * kMs},
      {"1.0s", kS},
      {"1.00s", kS},
      {"1.004s", kS + 4 * kMs},
      {"1.0040s", kS + 4 * kMs},
      {"100.00100s", 100 * kS + kMs},
      {"10ns", 10 * kNs},
      {"11us", 11 * kUs},
      {"12\xC2\xB5s", 12 * kUs},  // U+00B5
      {"12\xCE\xBCs", 12 * kUs},  // U+03BC
      {"13ms", 13 * kMs},
      {"14s", 14 * kS},
      {"15m", 15 * kM},
      {"16h", 16 * kH},
      {"3h30m", 3 * kH + 30 * kM},
      {"10.5s4m", 4 * kM + 10 * kS + 500 * kMs},
      {"-2m3.4s", -(2 * kM + 3 * kS + 400 * kMs)},
      {"1h2m3s4ms5us6ns", kH + 2 * kM + 3 * kS + 4 * kMs + 5 * kUs + 6 * kNs},
      {"39h9m14.425s", 39 * kH + 9 * kM + 14 * kS + 425 * kMs},
      {"52763797000ns", 52763797000 * kNs},
      {"0.3333333333333333333h", 20 * kM},
      {"9007199254740993ns", (std::int64_t{1} << 53) + 1},
      {"9223372036854775807ns", kMax},
      {"9223372036854775.807us", kMax},
      {"9223372036s854ms775us807ns", kMax},
      {"-9223372036854775808ns", kMin},
      {"-9223372036854775.808us", kMin},
      {"-9223372036s854ms775us808ns", kMin},
      {"-2562047h47m16.854775808s", kMin},
      {"0.100000000000000000000h", 6 * kM},
      {"0.830103483285477580700h", 49 * kM + 48 * kS + 372539827 * kNs},
  };
  for (const Good& c : cases) {
    INFO("input: " << c.in);
    Result<nanoseconds> d = ParseGoDuration(c.in);
    REQUIRE(d.has_value());
    CHECK(d->count() == c.want);
  }
}

struct Bad {
  std::string in;
  std::string message;
};

TEST_CASE("invalid durations fail with Go's message and quoting", "[frontend][duration]") {
  const Bad cases[] = {
      {"", "time: invalid duration \"\""},
      {"3", "time: missing unit in duration \"3\""},
      {"-", "time: invalid duration \"-\""},
      {"s", "time: invalid duration \"s\""},
      {".", "time: invalid duration \".\""},
      {"-.", "time: invalid duration \"-.\""},
      {".s", "time: invalid duration \".s\""},
      {"+.s", "time: invalid duration \"+.s\""},
      {"1d", "time: unknown unit \"d\" in duration \"1d\""},
      {"\x85\x85", "time: invalid duration \"\\x85\\x85\""},
      {"\xff"
       "ff",
       "time: invalid duration \"\\xffff\""},
      {"hello \xff"
       "ff world",
       "time: invalid duration \"hello \\xffff world\""},
      {"\xEF\xBF\xBD", "time: invalid duration \"\\xef\\xbf\\xbd\""},
      {"9223372036854775810ns", "time: invalid duration \"9223372036854775810ns\""},
      {"9223372036854775808ns", "time: invalid duration \"9223372036854775808ns\""},
      {"-9223372036854775809ns", "time: invalid duration \"-9223372036854775809ns\""},
      {"9223372036854776us", "time: invalid duration \"9223372036854776us\""},
      {"3000000h", "time: invalid duration \"3000000h\""},
      {"9223372036854775.808us", "time: invalid duration \"9223372036854775.808us\""},
      {"9223372036854ms775us808ns", "time: invalid duration \"9223372036854ms775us808ns\""},
      {"1\"x", "time: unknown unit \"\\\"x\" in duration \"1\\\"x\""},
  };
  for (const Bad& c : cases) {
    INFO("input: " << c.in);
    Result<nanoseconds> d = ParseGoDuration(c.in);
    REQUIRE_FALSE(d.has_value());
    CHECK(d.error().code == ErrorCode::kInvalidArgument);
    CHECK(d.error().message == c.message);
  }
}

TEST_CASE("a fraction below a nanosecond truncates to zero", "[frontend][duration]") {
  Result<nanoseconds> d = ParseGoDuration("0.5ns");
  REQUIRE(d.has_value());
  CHECK(d->count() == 0);
}

}  // namespace
}  // namespace bt::frontend
