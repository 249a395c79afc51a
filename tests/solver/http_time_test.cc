// HTTP dates as Go's http.ParseTime reads them. The first cases are net/http's own
// (header_test.go parseTimeTests: 1994-11-06T08:49:37Z in three layouts); the rest follow
// time.Parse's rules for those layouts (src/time/format.go).
#include "solver/http_time.h"

#include <catch2/catch.hpp>

namespace bt::solver {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t k1994 = 784111777 * kSecond;  // 1994-11-06 08:49:37 UTC

TEST_CASE("the three layouts of http.ParseTime", "[solver][http_time]") {
  CHECK(ParseHttpTime("Sun, 06 Nov 1994 08:49:37 GMT") == k1994);
  CHECK(ParseHttpTime("Sunday, 06-Nov-94 08:49:37 GMT") == k1994);
  CHECK(ParseHttpTime("Sun Nov  6 08:49:37 1994") == k1994);
  CHECK_FALSE(ParseHttpTime(""));
  CHECK_FALSE(ParseHttpTime("invalid"));
  CHECK_FALSE(ParseHttpTime("1994-11-06T08:49:37Z00:00"));
}

TEST_CASE("time.Parse's leniencies are kept", "[solver][http_time]") {
  CHECK(ParseHttpTime("Wed, 21 Oct 2015 07:28:00 GMT") == 1445412480 * kSecond);
  // Names match in any case; the weekday is read but never checked against the date.
  CHECK(ParseHttpTime("sun, 06 NOV 1994 08:49:37 GMT") == k1994);
  CHECK(ParseHttpTime("Mon, 06 Nov 1994 08:49:37 GMT") == k1994);
  // A space in the layout matches a run of spaces; the hour may have one digit.
  CHECK(ParseHttpTime("Sun,   06 Nov 1994  8:49:37 GMT") == k1994);
  CHECK(ParseHttpTime("Sun Nov 6 08:49:37 1994") == k1994);
  // A fraction of a second the layout does not name is accepted.
  CHECK(ParseHttpTime("Sun, 06 Nov 1994 08:49:37.5 GMT") == k1994 + kSecond / 2);
  // RFC 850: two-digit years pivot at 69; any zone abbreviation reads as UTC.
  CHECK(ParseHttpTime("Sunday, 06-Nov-94 08:49:37 PST") == k1994);
  CHECK(ParseHttpTime("Thursday, 01-Jan-70 00:00:00 UTC") == 0);
  CHECK(ParseHttpTime("Sunday, 06-Nov-94 08:49:37 GMT+3") == k1994);  // a display offset only
  CHECK(ParseHttpTime("Sunday, 06-Nov-94 08:49:37 +05") == k1994);
  CHECK(ParseHttpTime("Sunday, 06-Nov-94 08:49:37 WITA") == k1994);
  CHECK(ParseHttpTime("Sunday, 01-Jan-68 00:00:00 GMT") == 3092601600LL * kSecond);  // 2068
}

TEST_CASE("what time.Parse refuses is no time", "[solver][http_time]") {
  CHECK_FALSE(ParseHttpTime("Sun, 6 Nov 1994 08:49:37 GMT"));     // "02" needs two digits
  CHECK_FALSE(ParseHttpTime("Sun, 06 Nov 1994 08:49:37 UTC"));    // the literal is GMT
  CHECK_FALSE(ParseHttpTime("Sun, 06 Nov 1994 08:49:37 GMT x"));  // extra text
  CHECK_FALSE(ParseHttpTime("Sun, 31 Nov 1994 08:49:37 GMT"));    // day out of range
  CHECK_FALSE(ParseHttpTime("Sun, 29 Feb 1994 08:49:37 GMT"));
  CHECK(ParseHttpTime("Tue, 29 Feb 1996 00:00:00 GMT").has_value());
  CHECK_FALSE(ParseHttpTime("Sun, 06 Nov 1994 24:00:00 GMT"));  // hour out of range
  CHECK_FALSE(ParseHttpTime("Sun, 06 Nov 1994 08:60:00 GMT"));
  CHECK_FALSE(ParseHttpTime("Sun, 06 Foo 1994 08:49:37 GMT"));
  CHECK_FALSE(ParseHttpTime("Sunday, 06-Nov-94 08:49:37 gmt"));  // a zone is upper case
  CHECK_FALSE(ParseHttpTime("Sun, 06 Nov 94 08:49:37 GMT"));     // "2006" needs four digits
}

}  // namespace
}  // namespace bt::solver
