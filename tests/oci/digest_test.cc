#include "oci/digest.h"

#include <array>
#include <string>

#include <catch2/catch.hpp>

namespace bt::oci {
namespace {

// FIPS 180-2, appendix B: SHA-256 examples.
constexpr char kAbc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char k448Bit[] = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
constexpr char kMillionA[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
// SHA-256 of the empty message (NIST's published example value).
constexpr char kEmpty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST_CASE("Digest::Of matches the FIPS 180-2 SHA-256 examples", "[oci][digest]") {
  CHECK(Digest::Of("abc").hex() == kAbc);
  CHECK(Digest::Of("").hex() == kEmpty);
  CHECK(Digest::Of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex() == k448Bit);
}

TEST_CASE("Sha256Hasher gives the same digest however the data is split", "[oci][digest]") {
  Sha256Hasher hasher;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) hasher.Update(chunk);
  CHECK(hasher.Finish().hex() == kMillionA);

  Sha256Hasher bytewise;
  for (char c : std::string("abc")) bytewise.Update(std::string_view(&c, 1));
  CHECK(bytewise.Finish() == Digest::Of("abc"));
}

TEST_CASE("a digest prints as sha256 and lowercase hex and parses back", "[oci][digest]") {
  const Digest d = Digest::Of("abc");
  CHECK(d.ToString() == std::string("sha256:") + kAbc);
  auto parsed = Digest::Parse(d.ToString());
  REQUIRE(parsed.has_value());
  CHECK(*parsed == d);
  CHECK(parsed->bytes()[0] == 0xba);
  CHECK(parsed->bytes()[31] == 0xad);
}

TEST_CASE("only the exact form sha256 colon 64 lowercase hex digits parses", "[oci][digest]") {
  const std::string good = std::string("sha256:") + kAbc;
  std::string upper = good;
  upper[7] = 'B';
  const std::string rejected[] = {
      "",
      kAbc,                                   // missing prefix
      std::string("sha512:") + kAbc,          // other algorithm
      std::string("SHA256:") + kAbc,          // prefix case
      upper,                                  // uppercase hex
      good.substr(0, good.size() - 1),        // 63 digits
      good + "0",                             // 65 digits
      "sha256:",                              // no digits
      good.substr(0, good.size() - 1) + "g",  // not hex
      " " + good,                             // leading space
      good + "\n",                            // trailing newline
  };
  for (const std::string& text : rejected) {
    INFO("text: " << text);
    auto parsed = Digest::Parse(text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
  }
  CHECK(Digest::Parse(good).has_value());
}

TEST_CASE("a rejected digest's error names the text", "[oci][digest]") {
  auto parsed = Digest::Parse("sha512:abcd");
  REQUIRE_FALSE(parsed.has_value());
  CHECK_THAT(parsed.error().message, Catch::Contains("\"sha512:abcd\""));

  auto huge = Digest::Parse(std::string(100000, 'x'));
  REQUIRE_FALSE(huge.has_value());
  CHECK(huge.error().message.size() < 300);
}

TEST_CASE("a default digest is zero and a computed one is not", "[oci][digest]") {
  CHECK(Digest().is_zero());
  CHECK(Digest().hex() == std::string(64, '0'));
  CHECK_FALSE(Digest::Of("").is_zero());
}

TEST_CASE("digests order by their bytes", "[oci][digest]") {
  std::array<std::uint8_t, Digest::kSize> low{};
  std::array<std::uint8_t, Digest::kSize> high{};
  low[31] = 0xff;
  high[0] = 0x01;
  CHECK(Digest(low) < Digest(high));
  CHECK(Digest() < Digest(low));
}

}  // namespace
}  // namespace bt::oci
