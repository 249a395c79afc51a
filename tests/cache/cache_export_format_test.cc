// The exported cache's config document (issue 8): the exact bytes it is written as, layer
// chains read bottom up, and the hostile documents an import must refuse before it fetches
// anything (SECURITY.md cases 30 and 45: malformed digests, loops, a key claimed twice).
#include "cache/cache_export_format.h"

#include <string>

#include <catch2/catch.hpp>

namespace bt::cache {
namespace {

oci::Digest D(char c) { return *oci::Digest::Parse("sha256:" + std::string(64, c)); }
std::string S(char c) { return "sha256:" + std::string(64, c); }

TEST_CASE("a cache config is written in the documented shape, records sorted by key", "[cache][export]") {
  CacheConfig config;
  config.layers = {{D('a'), -1}, {D('b'), 0}};
  config.records = {{D('e'), {1}, "2026-11-29T15:00:00Z"}, {D('d'), {-1, 0}, "2026-11-29T14:00:00Z"}};
  // Written by hand from the header's description: layers in order, records by key.
  const std::string expected =
      R"({"layers":[{"blob":")" + S('a') + R"(","parent":-1},{"blob":")" + S('b') + R"(","parent":0}],)" +
      R"("records":[{"key":")" + S('d') + R"(","outputs":[-1,0],"created":"2026-11-29T14:00:00Z"},)" +
      R"({"key":")" + S('e') + R"(","outputs":[1],"created":"2026-11-29T15:00:00Z"}]})";
  CHECK(SerializeCacheConfig(config) == expected);
  Result<CacheConfig> back = ParseCacheConfig(expected);
  REQUIRE(back.has_value());
  CHECK(back->layers == config.layers);
  REQUIRE(back->records.size() == 2);
  CHECK(back->records[0] == config.records[1]);
  CHECK(back->records[1] == config.records[0]);
}

TEST_CASE("an output's chain is read bottom first", "[cache][export]") {
  CacheConfig config;
  config.layers = {{D('a'), -1}, {D('b'), 0}, {D('c'), 1}, {D('f'), -1}};
  CHECK(ChainOf(config, 2) == std::vector<oci::Digest>{D('a'), D('b'), D('c')});
  CHECK(ChainOf(config, 3) == std::vector<oci::Digest>{D('f')});
  CHECK(ChainOf(config, -1).empty());
}

Result<CacheConfig> Parse(const std::string& layers, const std::string& records) {
  return ParseCacheConfig(R"({"layers":[)" + layers + R"(],"records":[)" + records + "]}");
}

TEST_CASE("hostile cache configs are refused", "[cache][export]") {
  const std::string layer_a = R"({"blob":")" + S('a') + R"(","parent":-1})";
  const std::string record = R"({"key":")" + S('d') + R"(","outputs":[0]})";
  REQUIRE(Parse(layer_a, record).has_value());
  struct Case {
    const char* what;
    std::string layers, records, message;
  };
  const std::vector<Case> cases = {
      {"a parent that is the layer itself (a loop)", R"({"blob":")" + S('a') + R"(","parent":0})", record, "out of range"},
      {"a parent later in the list", layer_a + R"(,{"blob":")" + S('b') + R"(","parent":2},{"blob":")" + S('c') + R"(","parent":-1})", record, "out of range"},
      {"a blob that is a path", R"({"blob":"sha256:../../../../tmp/x","parent":-1})", record, "not a sha256 digest"},
      {"an upper-case digest", R"({"blob":"sha256:)" + std::string(64, 'A') + R"(","parent":-1})", record, "not a sha256 digest"},
      {"an output past the layers", layer_a, R"({"key":")" + S('d') + R"(","outputs":[1]})", "not a layer index"},
      {"an output below -1", layer_a, R"({"key":")" + S('d') + R"(","outputs":[-2]})", "not a layer index"},
      {"no outputs", layer_a, R"({"key":")" + S('d') + R"(","outputs":[]})", "outputs"},
      {"a key claimed by two records", layer_a, record + "," + R"({"key":")" + S('d') + R"(","outputs":[-1]})", "has two records"},
      {"a key that is not a digest", layer_a, R"({"key":"xxh3:1234","outputs":[0]})", "not a sha256 digest"},
      {"a repeated JSON key", layer_a, R"({"key":")" + S('d') + R"(","outputs":[0],"outputs":[-1]})", "appears twice"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    Result<CacheConfig> r = Parse(c.layers, c.records);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK(r.error().message.find(c.message) != std::string::npos);
  }
  std::string many_outputs = R"({"key":")" + S('d') + R"(","outputs":[0)";
  for (int i = 0; i < 64; ++i) many_outputs += ",0";
  CHECK_FALSE(Parse(layer_a, many_outputs + "]}").has_value());
  CHECK_FALSE(ParseCacheConfig("[]").has_value());
  CHECK_FALSE(ParseCacheConfig(R"({"layers":[]})").has_value());
  CHECK_FALSE(ParseCacheConfig(std::string(kMaxCacheConfigBytes + 1, ' ')).has_value());
}

}  // namespace
}  // namespace bt::cache
