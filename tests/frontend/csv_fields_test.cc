// SplitCsvFields against tonistiigi/go-csvvalue's Fields, the reader BuildKit uses for
// --mount and --device (vendored at BuildKit 73ed682). Expected values are that function's
// output for the same inputs, run with Go 1.19.
#include "frontend/instructions/csv_fields.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace bt::frontend {
namespace {

using Fields = std::vector<std::string>;

Fields FieldsOf(std::string_view line) {
  Result<Fields> fields = SplitCsvFields(line);
  INFO("line: " << line);
  REQUIRE(fields.has_value());
  return *fields;
}

std::string ErrorOf(std::string_view line) {
  Result<Fields> fields = SplitCsvFields(line);
  INFO("line: " << line);
  REQUIRE_FALSE(fields.has_value());
  CHECK(fields.error().code == ErrorCode::kInvalidArgument);
  return fields.error().message;
}

TEST_CASE("fields are split on commas and empty fields are kept", "[frontend][csv_fields]") {
  CHECK(FieldsOf("type=cache,target=/x") == Fields{"type=cache", "target=/x"});
  CHECK(FieldsOf("a,,b,") == Fields{"a", "", "b", ""});
  CHECK(FieldsOf("a\r\n") == Fields{"a"});
}

TEST_CASE("quoted fields may hold commas and doubled quotes", "[frontend][csv_fields]") {
  CHECK(FieldsOf("\"a\"\"b\",c") == Fields{"a\"b", "c"});
  CHECK(FieldsOf("\"a\",") == Fields{"a", ""});
  CHECK(FieldsOf("\"\"") == Fields{""});
  CHECK(FieldsOf("\"a,b\",c") == Fields{"a,b", "c"});
  CHECK(FieldsOf("type=bind,\"target=/a,b\"") == Fields{"type=bind", "target=/a,b"});
}

TEST_CASE("stray quotes and empty lines are errors", "[frontend][csv_fields]") {
  CHECK(ErrorOf("\"a") ==
        "parse error on line 1, column 2: extraneous or missing \" in quoted-field");
  CHECK(ErrorOf("a\"b") == "parse error on line 1, column 2: bare \" in non-quoted-field");
  CHECK(ErrorOf("\"a\"b") ==
        "parse error on line 1, column 3: extraneous or missing \" in quoted-field");
  CHECK(ErrorOf("x,\"y") ==
        "parse error on line 1, column 4: extraneous or missing \" in quoted-field");
  CHECK(ErrorOf("") == "EOF");
  CHECK(ErrorOf("\n") == "EOF");
}

}  // namespace
}  // namespace bt::frontend
