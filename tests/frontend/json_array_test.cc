// ParseJsonArray decides JSON (exec) form as Go's encoding/json does for BuildKit's
// parseJSON (line_parsers.go): the expectations are Go's documented behaviour.
#include "frontend/parser/json_array.h"

#include <string>

#include <catch2/catch.hpp>

namespace bt::frontend {
namespace {

using Strings = std::vector<std::string>;

TEST_CASE("an array of strings is the exec form, with JSON escapes decoded", "[frontend][json]") {
  const JsonArray a = ParseJsonArray(R"([ "a\u00e9\t" , "\"q\"", "\/", "" ] )");
  REQUIRE(a.kind == JsonArrayKind::kStrings);
  CHECK(a.elements == Strings{"a\xC3\xA9\t", "\"q\"", "/", ""});
  CHECK(ParseJsonArray("[]").kind == JsonArrayKind::kStrings);
  CHECK(ParseJsonArray("[]").elements.empty());
}

TEST_CASE("invalid UTF-8 and lone surrogates become U+FFFD and pairs combine", "[frontend][json]") {
  CHECK(ParseJsonArray("[\"a\xFF" "b\"]").elements == Strings{"a\xEF\xBF\xBD" "b"});
  CHECK(ParseJsonArray(R"(["\ud83d\ude00"])").elements == Strings{"\xF0\x9F\x98\x80"});
  CHECK(ParseJsonArray(R"(["\ud83dx"])").elements == Strings{"\xEF\xBF\xBDx"});
  // A low surrogate first is replaced, and the escape after it is read on its own.
  CHECK(ParseJsonArray(R"(["\ude00\u0041"])").elements == Strings{"\xEF\xBF\xBD" "A"});
  CHECK(ParseJsonArray(R"(["\u0000"])").elements == Strings{std::string(1, '\0')});
}

TEST_CASE("a valid array with a non-string element is an error, not shell form",
          "[frontend][json]") {
  for (const char* text : {R"(["a", 1])", R"(["a", ["b"]])", R"([{"k": "v"}])", "[null]",
                           "[true, \"a\"]", "[-0.5e+3]"}) {
    INFO(text);
    CHECK(ParseJsonArray(text).kind == JsonArrayKind::kNotStrings);
  }
}

TEST_CASE("text that is not a valid JSON array falls back to shell form", "[frontend][json]") {
  for (const char* text : {"[", "['a']", R"(["a",])", R"(["a"] x)", R"(["a\x"])", "[01]",
                           "[\"tab\there\"]", R"(["a" "b"])", "[1.]", R"([{"k" 1}])",
                           "[nul]", "x[]"}) {
    INFO(text);
    CHECK(ParseJsonArray(text).kind == JsonArrayKind::kNotJson);
  }
  std::string tab = "[\"a\tb\"]";  // a raw control character inside a string
  CHECK(ParseJsonArray(tab).kind == JsonArrayKind::kNotJson);
}

TEST_CASE("a number that overflows float64 makes the whole decode fail", "[frontend][json]") {
  // Unmarshal saves the UnmarshalTypeError and returns it: not the "strings only" error.
  CHECK(ParseJsonArray(R"(["a", 1e400])").kind == JsonArrayKind::kNotJson);
  CHECK(ParseJsonArray(R"(["a", [1e400]])").kind == JsonArrayKind::kNotJson);
  CHECK(ParseJsonArray(R"(["a", 1e-400])").kind == JsonArrayKind::kNotStrings);
}

TEST_CASE("nesting deeper than encoding/json's limit of 10000 is invalid", "[frontend][json]") {
  const std::string ok = std::string(10000, '[') + std::string(10000, ']');
  CHECK(ParseJsonArray(ok).kind == JsonArrayKind::kNotStrings);
  const std::string deep = std::string(10001, '[') + std::string(10001, ']');
  CHECK(ParseJsonArray(deep).kind == JsonArrayKind::kNotJson);
  const std::string huge = std::string(1000000, '[');
  CHECK(ParseJsonArray(huge).kind == JsonArrayKind::kNotJson);
}

}  // namespace
}  // namespace bt::frontend
