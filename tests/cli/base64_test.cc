// Base64Encode against RFC 4648's test vectors (section 10).
#include "cli/progress/base64.h"

#include <catch2/catch.hpp>

namespace bt::cli {
namespace {

TEST_CASE("base64 matches the RFC 4648 test vectors", "[cli][base64]") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Encode("foob") == "Zm9vYg==");
  CHECK(Base64Encode("fooba") == "Zm9vYmE=");
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
  CHECK(Base64Encode(std::string("\xff\xfeok\n")) == "//5vawo=");
}

}  // namespace
}  // namespace bt::cli
