#include "oci/platform.h"

#include <string>

#include <catch2/catch.hpp>

namespace bt::oci {
namespace {

// Cases from containerd/platforms platforms_test.go (TestParseSelector, commit 09756f5). That
// test checks Parse alone and then that NewMatcher(Parse(x)) matches the listed equivalents,
// a comparison made after Normalize; ParsePlatform is Normalize(Parse(x)), so the expected
// values below are the normalized ones: "linux/arm" gains v7, "linux/arm64/v8" loses v8.
struct Case {
  const char* input;
  Platform expected;
};

// ParsePlatform's value, failing the test (rather than aborting) on an error.
Platform Parsed(std::string_view text) {
  auto p = ParsePlatform(text);
  INFO(text);
  REQUIRE(p.has_value());
  return *p;
}

Platform P(std::string os, std::string arch, std::string variant = "") {
  return Platform{std::move(os), std::move(arch), std::move(variant)};
}

TEST_CASE("platform specifiers from containerd's tests parse to normalized platforms",
          "[oci][platform]") {
  const Case cases[] = {
      {"linux/arm64", P("linux", "arm64")},
      {"linux/arm64/v8", P("linux", "arm64")},
      {"linux/arm", P("linux", "arm", "v7")},
      {"linux/arm/v6", P("linux", "arm", "v6")},
      {"linux/arm/v7", P("linux", "arm", "v7")},
      {"arm", P("linux", "arm", "v7")},
      {"armel", P("linux", "arm", "v6")},
      {"armhf", P("linux", "arm", "v7")},
      {"Aarch64", P("linux", "arm64")},
      {"x86_64", P("linux", "amd64")},
      {"Linux/x86_64", P("linux", "amd64")},
      {"i386", P("linux", "386")},
      {"s390x", P("linux", "s390x")},
      {"linux/s390x", P("linux", "s390x")},
  };
  for (const Case& c : cases) {
    INFO(c.input);
    auto p = ParsePlatform(c.input);
    REQUIRE(p.has_value());
    CHECK(*p == c.expected);
  }
}

TEST_CASE("the equivalents containerd's matcher accepts all normalize to one platform",
          "[oci][platform]") {
  // The `matches` lists of TestParseSelector, spelled as specifiers.
  SECTION("arm64") {
    for (const char* s : {"linux/aarch64", "linux/aarch64/v8", "linux/arm64/v8", "linux/arm64"}) {
      INFO(s);
      CHECK(Parsed(s).ToString() == "linux/arm64");
    }
  }
  SECTION("arm v7") {
    for (const char* s : {"linux/arm/v7", "linux/armhf", "linux/arm/7", "linux/arm"}) {
      INFO(s);
      CHECK(Parsed(s).ToString() == "linux/arm/v7");
    }
  }
  SECTION("arm v6") { CHECK(Parsed("linux/armel").ToString() == "linux/arm/v6"); }
}

TEST_CASE("normalization follows containerd's database.go rules", "[oci][platform]") {
  CHECK(Parsed("linux/x86-64") == P("linux", "amd64"));
  CHECK(Parsed("linux/amd64/v1") == P("linux", "amd64"));
  CHECK(Parsed("linux/amd64/v3") == P("linux", "amd64", "v3"));
  CHECK(Parsed("linux/arm64/9") == P("linux", "arm64", "v9"));
  CHECK(Parsed("linux/arm64/v9.0") == P("linux", "arm64", "v9"));
  CHECK(Parsed("linux/arm/5") == P("linux", "arm", "v5"));
  CHECK(Parsed("linux/i386/whatever") == P("linux", "386"));
  CHECK(Parsed("LINUX/ARM64/V8") == P("linux", "arm64"));
  CHECK(Parsed("darwin/arm64") == P("darwin", "arm64"));
  // Two parts are taken as os/arch whether or not either is known, as containerd does.
  CHECK(Parsed("plan10/z80") == P("plan10", "z80"));
}

TEST_CASE("an operating system alone takes the host's architecture", "[oci][platform]") {
  const Platform host = HostPlatform();
  CHECK(Parsed("linux") == host);
  CHECK(Parsed("macOS") == P("darwin", host.architecture, host.variant));
  CHECK(Parsed("windows") == P("windows", host.architecture, host.variant));
}

TEST_CASE("malformed specifiers are rejected with the text and the reason", "[oci][platform]") {
  // TestParseSelectorInvalid, plus the unknown single word and a wildcard (TestParseSelector's
  // skipped cases) and containerd's os(version) form, which Platform cannot hold.
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty os or architecture"},
      {"/linux/arm", "empty os"},
      {"linux/arm/", "empty variant"},
      {"linux//v7", "empty architecture"},
      {"linux /arm", "is not a valid os"},
      {"linux/&arm", "is not a valid architecture"},
      {"linux/arm/foo/bar", "more than three parts"},
      {"z80", "unknown operating system or architecture"},
      {"*", "wildcards"},
      {"linux/*", "wildcards"},
      {"windows(10.0.17763)", "not supported"},
  };
  for (const auto& [input, why] : cases) {
    INFO(input);
    auto p = ParsePlatform(input);
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(p.error().message,
               Catch::Contains(std::string("\"") + input + "\"") && Catch::Contains(why));
  }
}

TEST_CASE("a platform prints as os slash architecture with the variant only when set",
          "[oci][platform]") {
  CHECK(P("linux", "amd64").ToString() == "linux/amd64");
  CHECK(P("linux", "arm", "v7").ToString() == "linux/arm/v7");
  CHECK(P("", "amd64").ToString() == "unknown");  // containerd's Format
  // Every normalized platform survives a round trip through its text.
  for (const char* s : {"linux/arm/v6", "linux/arm64", "linux/amd64/v2", "windows/amd64"}) {
    CHECK(Parsed(s).ToString() == s);
  }
}

TEST_CASE("the host platform is linux on a known architecture", "[oci][platform]") {
  const Platform host = HostPlatform();
  CHECK(host.os == "linux");
  CHECK_FALSE(host.architecture.empty());
  // It is already normalized.
  CHECK(Parsed(host.ToString()) == host);
#if defined(__x86_64__)
  CHECK(host == P("linux", "amd64"));
#elif defined(__aarch64__)
  CHECK(host == P("linux", "arm64"));
#endif
}

}  // namespace
}  // namespace bt::oci
