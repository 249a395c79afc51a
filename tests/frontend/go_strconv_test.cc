// The Go strconv parsers that decide which --mount and HEALTHCHECK values BuildKit accepts.
// Expected values are Go 1.19's strconv output for the same inputs (ParseBool's table is
// its documentation).
#include "frontend/instructions/go_strconv.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

namespace bt::frontend {
namespace {

TEST_CASE("ParseGoBool accepts exactly Go's spellings", "[frontend][go_strconv]") {
  for (const char* s : {"1", "t", "T", "TRUE", "true", "True"}) CHECK(ParseGoBool(s) == true);
  for (const char* s : {"0", "f", "F", "FALSE", "false", "False"}) CHECK(ParseGoBool(s) == false);
  for (const char* s : {"", "yes", "tRUE", " true", "2"}) CHECK_FALSE(ParseGoBool(s).has_value());
}

TEST_CASE("ParseGoUint in base 8 takes bare octal digits within 32 bits",
          "[frontend][go_strconv]") {
  CHECK(ParseGoUint("0755", 8, 32) == 493u);
  CHECK(ParseGoUint("37777777777", 8, 32) == 4294967295u);
  for (const char* s : {"8", "", "+1", "0o7", "7_7", "40000000000", "777777777777"}) {
    INFO(s);
    CHECK_FALSE(ParseGoUint(s, 8, 32).has_value());
  }
}

TEST_CASE("ParseGoInt reports Go's syntax and range errors", "[frontend][go_strconv]") {
  CHECK(ParseGoInt("3", 32).value() == 3);
  CHECK(ParseGoInt("-1", 32).value() == -1);
  CHECK(ParseGoInt("+5", 32).value() == 5);
  CHECK(ParseGoInt("2147483647", 32).value() == 2147483647);
  CHECK(ParseGoInt("-2147483648", 32).value() == -2147483648LL);
  const auto error = [](const char* s) {
    Result<std::int64_t> r = ParseGoInt(s, 32);
    REQUIRE_FALSE(r.has_value());
    return r.error().message;
  };
  CHECK(error("") == "strconv.ParseInt: parsing \"\": invalid syntax");
  CHECK(error("+") == "strconv.ParseInt: parsing \"+\": invalid syntax");
  CHECK(error("1x") == "strconv.ParseInt: parsing \"1x\": invalid syntax");
  CHECK(error(" 1") == "strconv.ParseInt: parsing \" 1\": invalid syntax");
  CHECK(error("2147483648") == "strconv.ParseInt: parsing \"2147483648\": value out of range");
  CHECK(error("-2147483649") == "strconv.ParseInt: parsing \"-2147483649\": value out of range");
  // The overflow is met before the bad digit, so Go reports the range.
  CHECK(error("99999999999x") == "strconv.ParseInt: parsing \"99999999999x\": value out of range");
}

TEST_CASE("ParseGoFloat follows Go's literal syntax", "[frontend][go_strconv]") {
  struct Case {
    const char* in;
    double want;
  };
  for (const Case& c :
       {Case{"1_000", 1000}, Case{"0x1p3", 8}, Case{"0x.8p1", 1}, Case{"1e3", 1000},
        Case{".5", 0.5}, Case{"5.", 5}, Case{"+.5", 0.5}, Case{"1e-400", 0}, Case{"1.5e-3", 0.0015},
        Case{"0x_1p0", 1}, Case{"1_000.5", 1000.5}, Case{"00", 0}}) {
    INFO(c.in);
    REQUIRE(ParseGoFloat(c.in).has_value());
    CHECK(*ParseGoFloat(c.in) == c.want);
  }
  CHECK(std::isinf(ParseGoFloat("inf").value()));
  CHECK(ParseGoFloat("-infinity").value() < 0);
  CHECK(std::isinf(ParseGoFloat("+Inf").value()));
  CHECK(std::isnan(ParseGoFloat("NaN").value()));
  for (const char* s : {"1__0", "_1", "1_", "0x1", "1e", "1e+", ".", "+nan", "1e400", "0x1_p0",
                        "1_.5", "0b1", "1..2", "--1", "infin", "", " 1"}) {
    INFO(s);
    CHECK_FALSE(ParseGoFloat(s).has_value());
  }
}

}  // namespace
}  // namespace bt::frontend
