#include "oci/reference.h"

#include <string>

#include <catch2/catch.hpp>

namespace bt::oci {
namespace {

// Cases come from distribution/reference (commit 0965666): normalize_test.go and
// reference_test.go. Those tables test Parse and ParseNormalizedNamed; ParseReference is
// ParseNormalizedNamed plus TagNameOnly, so expected strings carry the normalized domain,
// "library/" and the default tag where that composition adds them.

constexpr char kFfff[] = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

std::string Normalized(std::string_view text) {
  auto ref = ParseReference(text);
  if (!ref.has_value()) return "error: " + ref.error().message;
  return ref->ToString();
}

// ParseReference's value, failing the test (rather than aborting) on an error.
Reference Parsed(std::string_view text) {
  auto ref = ParseReference(text);
  INFO(text);
  REQUIRE(ref.has_value());
  return *ref;
}

TEST_CASE("familiar names normalize to docker.io, library and latest", "[oci][reference]") {
  // TestParseDockerRef (the cases without both tag and digest) and TestParseAnyReference.
  CHECK(Normalized("busybox") == "docker.io/library/busybox:latest");
  CHECK(Normalized("busybox:latest") == "docker.io/library/busybox:latest");
  CHECK(Normalized("library/busybox") == "docker.io/library/busybox:latest");
  CHECK(Normalized("docker.io/busybox") == "docker.io/library/busybox:latest");
  CHECK(Normalized("docker.io/library/busybox") == "docker.io/library/busybox:latest");
  CHECK(Normalized("library/busybox:latest") == "docker.io/library/busybox:latest");
  CHECK(Normalized("gcr.io/library/busybox") == "gcr.io/library/busybox:latest");
  CHECK(Normalized("dmcgowan/myapp") == "docker.io/dmcgowan/myapp:latest");
  CHECK(Normalized("dmcgowan/myapp:latest") == "docker.io/dmcgowan/myapp:latest");
  CHECK(Normalized("user/app:1") == "docker.io/user/app:1");
  CHECK(Normalized("index.docker.io/debian") == "docker.io/library/debian:latest");
  // A digest alone pins the image: no default tag.
  const std::string redis_digest =
      "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
  CHECK(Normalized("redis@" + redis_digest) == "docker.io/library/redis@" + redis_digest);
  // 63 hex digits are a name, not an image id.
  CHECK(Normalized("dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9") ==
        "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9:latest");
}

TEST_CASE("a tag and a digest together are both kept", "[oci][reference]") {
  // TestParseReferenceWithTagAndDigest.
  const std::string short_ref =
      "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
  auto ref = ParseReference(short_ref);
  REQUIRE(ref.has_value());
  CHECK(ref->ToString() == "docker.io/library/" + short_ref);
  CHECK(ref->FamiliarString() == short_ref);
  CHECK(ref->tag == "latest");
  REQUIRE(ref->digest.has_value());
  CHECK(ref->digest->hex() == "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa");
}

TEST_CASE(
    "the first component is a domain when it has a dot, a colon, is localhost or is uppercase",
    "[oci][reference]") {
  // TestParseRepositoryInfo and TestNormalizedSplitHostname: input, domain, path, familiar.
  struct Case {
    const char* input;
    const char* domain;
    const char* path;
    const char* familiar;
  };
  const Case cases[] = {
      {"localhost/fooo", "localhost", "fooo", "localhost/fooo:latest"},
      {"localhost/fooo/bar", "localhost", "fooo/bar", "localhost/fooo/bar:latest"},
      {"LOCALDOMAIN/fooo", "LOCALDOMAIN", "fooo", "LOCALDOMAIN/fooo:latest"},
      {"fooo/bar", "docker.io", "fooo/bar", "fooo/bar:latest"},
      {"index.docker.io/fooo/bar", "docker.io", "fooo/bar", "fooo/bar:latest"},
      {"library/ubuntu", "docker.io", "library/ubuntu", "ubuntu:latest"},
      {"nonlibrary/ubuntu", "docker.io", "nonlibrary/ubuntu", "nonlibrary/ubuntu:latest"},
      {"other/library", "docker.io", "other/library", "other/library:latest"},
      {"127.0.0.1:8000/private/moonbase", "127.0.0.1:8000", "private/moonbase",
       "127.0.0.1:8000/private/moonbase:latest"},
      {"example.com:8000/privatebasee", "example.com:8000", "privatebasee",
       "example.com:8000/privatebasee:latest"},
      {"ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base", "ubuntu-12.04-base:latest"},
      {"docker.io/foo", "docker.io", "library/foo", "foo:latest"},
      {"library/foo/bar", "docker.io", "library/foo/bar", "library/foo/bar:latest"},
      {"store/foo/bar", "docker.io", "store/foo/bar", "store/foo/bar:latest"},
      {"Foo/bar", "Foo", "bar", "Foo/bar:latest"},
      {"FOO/bar", "FOO", "bar", "FOO/bar:latest"},
      {"test.com/foo", "test.com", "foo", "test.com/foo:latest"},
      {"test_com/foo", "docker.io", "test_com/foo", "test_com/foo:latest"},
      {"test-com:8080/foo", "test-com:8080", "foo", "test-com:8080/foo:latest"},
      {"xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", "xn--n3h.com:18080/foo:latest"},
      {"docker.io/library/foo/bar", "docker.io", "library/foo/bar", "library/foo/bar:latest"},
  };
  for (const Case& c : cases) {
    INFO(c.input);
    auto ref = ParseReference(c.input);
    REQUIRE(ref.has_value());
    CHECK(ref->domain == c.domain);
    CHECK(ref->path == c.path);
    CHECK(ref->tag == "latest");
    CHECK(ref->FamiliarString() == c.familiar);
  }
}

TEST_CASE("registries with ports, IP addresses and digests parse", "[oci][reference]") {
  // TestReferenceParse, through normalization.
  CHECK(Normalized("localhost:5000/a/b@" + std::string(kFfff)) ==
        "localhost:5000/a/b@" + std::string(kFfff));
  CHECK(Normalized("127.0.0.1:5000/x:tag") == "127.0.0.1:5000/x:tag");
  CHECK(Normalized("test:5000/repo") == "test:5000/repo:latest");
  CHECK(Normalized("test:5000/repo:tag@" + std::string(kFfff)) ==
        "test:5000/repo:tag@" + std::string(kFfff));
  CHECK(Normalized("test.com:tag") == "docker.io/library/test.com:tag");
  CHECK(Normalized("test.com:5000") == "docker.io/library/test.com:5000");
  CHECK(Normalized("lowercase:Uppercase") == "docker.io/library/lowercase:Uppercase");
  CHECK(Normalized("sub-dom1.foo.com/bar/baz/quux:some-long-tag") ==
        "sub-dom1.foo.com/bar/baz/quux:some-long-tag");
  CHECK(Normalized("b.gcr.io/test.example.com/my-app:test.example.com") ==
        "b.gcr.io/test.example.com/my-app:test.example.com");
  CHECK(Normalized("xn--7o8h.com/myimage:xn--7o8h.com@" + std::string(kFfff)) ==
        "xn--7o8h.com/myimage:xn--7o8h.com@" + std::string(kFfff));
  CHECK(Normalized("foo_bar.com:8080") == "docker.io/library/foo_bar.com:8080");
  CHECK(Normalized("foo/foo_bar.com:8080") == "docker.io/foo/foo_bar.com:8080");
  CHECK(Normalized("192.168.1.1") == "docker.io/library/192.168.1.1:latest");
  CHECK(Normalized("192.168.1.1:5000") == "docker.io/library/192.168.1.1:5000");
  CHECK(Normalized("192.168.1.1/repo") == "192.168.1.1/repo:latest");
  CHECK(Normalized("192.168.1.1:5000/repo:5050") == "192.168.1.1:5000/repo:5050");
  CHECK(Normalized("[2001:db8::1]/repo") == "[2001:db8::1]/repo:latest");
  CHECK(Normalized("[2001:db8:1:2:3:4:5:6]/repo:tag") == "[2001:db8:1:2:3:4:5:6]/repo:tag");
  CHECK(Normalized("[2001:db8::1]:5000/repo:tag@" + std::string(kFfff)) ==
        "[2001:db8::1]:5000/repo:tag@" + std::string(kFfff));
  CHECK(Normalized("[::1]:5000/repo") == "[::1]:5000/repo:latest");
  // TestValidateRemoteName's valid names.
  for (const char* name :
       {"docker-rules/docker", "docker---rules/docker", "d/docker", "jess/t", "dock__er/docker",
        "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"}) {
    INFO(name);
    CHECK(ParseReference(name).has_value());
  }
}

TEST_CASE("the length limits are 255 for the path and 128 for the tag", "[oci][reference]") {
  const std::string long_path = std::string(255, 'a');
  CHECK(Normalized("example.com/" + long_path + ":tag") == "example.com/" + long_path + ":tag");
  std::string nested;
  for (int i = 0; i < 127; ++i) nested += "a/";
  nested += "a";  // 255 characters, all path since "a" is no domain
  CHECK(Normalized(nested + ":tag-puts-this-over-max") ==
        "docker.io/" + nested + ":tag-puts-this-over-max");
  auto too_long = ParseReference("domain/" + std::string(256, 'a') + ":tag");
  REQUIRE_FALSE(too_long.has_value());
  CHECK_THAT(too_long.error().message,
             Catch::Contains("repository name must not be more than 255 characters"));
  CHECK(ParseReference("busybox:" + std::string(128, 't')).has_value());
  CHECK_FALSE(ParseReference("busybox:" + std::string(129, 't')).has_value());
}

TEST_CASE("invalid references fail with distribution's messages", "[oci][reference]") {
  // TestValidateReferenceName, TestValidateRemoteName, TestReferenceParse: invalid inputs.
  const char* invalid[] = {
      "",
      ":justtag",
      "@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "https://github.com/docker/docker",
      "-docker",
      "-docker/docker",
      "-docker.io/docker/docker",
      "docker///docker",
      "docker.io/docker///docker",
      "[fc00::1]",
      "[fc00::1]:5000",
      "fc00::1:5000/debian",
      "[fe80::1%eth0]:5000/debian",
      "[2001:db8:3:4::192.0.2.33]:5000/debian",
      "[2001:db8::1]:tag",
      "[fe80::1%@invalidzone]:5000/repo",
      "docker-/docker",
      "-docker-/docker",
      "____/____",
      "_docker/_docker",
      "dock..er/docker",
      "dock_.er/docker",
      "dock-.er/docker",
      "docker/",
      "aa/asdf$$^/aa",
      "busybox:",
      "busybox:-tag",
      "busybox@",
      "busybox:latest@sha256:abc",
  };
  for (const char* text : invalid) {
    INFO(text);
    auto ref = ParseReference(text);
    REQUIRE_FALSE(ref.has_value());
    CHECK(ref.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(ref.error().message, Catch::Contains("invalid reference format"));
  }
}

TEST_CASE("an uppercase repository name is rejected as not lowercase", "[oci][reference]") {
  for (const char* text : {"docker/Docker", "docker.io/docker/Docker", "Uppercase:tag",
                           "test:5000/Uppercase/lowercase:tag", "Busybox"}) {
    INFO(text);
    auto ref = ParseReference(text);
    REQUIRE_FALSE(ref.has_value());
    CHECK_THAT(ref.error().message, Catch::Contains("must be lowercase"));
  }
  CHECK_THAT(ParseReference("Busybox").error().message,
             Catch::Contains("invalid reference format: repository name (library/Busybox) must "
                             "be lowercase"));
}

TEST_CASE("image ids and unsupported digests are not references", "[oci][reference]") {
  auto id = ParseReference("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a");
  REQUIRE_FALSE(id.has_value());
  CHECK_THAT(id.error().message, Catch::Contains("cannot specify 64-byte hexadecimal strings"));
  // Only sha256 is supported (distribution without crypto/sha512 registered says the same).
  const char* bad_digests[] = {
      "validname@sha512:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
      "ffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "validname@invaliddigest:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "repo@sha256:ffffffffffffffffffffffffffffffffff",  // too short for sha256
      "repo@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
  };
  for (const char* text : bad_digests) {
    INFO(text);
    auto ref = ParseReference(text);
    REQUIRE_FALSE(ref.has_value());
    CHECK(ref.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(ref.error().message, Catch::Contains("invalid digest"));
  }
}

TEST_CASE("a first component that is not a valid domain is rejected", "[oci][reference]") {
  // distribution would read "a_b.io/x" as a path with no domain at all; see reference.cc.
  for (const char* text : {"a_b.io/x", "foo:bar/baz", "ex-.com/x", "localhost:/x"}) {
    INFO(text);
    CHECK_FALSE(ParseReference(text).has_value());
  }
}

TEST_CASE("familiar strings drop docker.io and one level of library", "[oci][reference]") {
  CHECK(Parsed("busybox").FamiliarString() == "busybox:latest");
  CHECK(Parsed("docker.io/library/a/b").FamiliarString() == "library/a/b:latest");
  CHECK(Parsed("localhost/library/x").FamiliarString() == "localhost/library/x:latest");
  const Reference pinned = Parsed(std::string("busybox@") + kFfff);
  CHECK(pinned.FamiliarString() == std::string("busybox@") + kFfff);
  CHECK(pinned.Name() == "docker.io/library/busybox");
  CHECK(pinned.tag.empty());
}

TEST_CASE("a normalized reference parses back to itself", "[oci][reference]") {
  for (const char* text :
       {"busybox", "user/app:1", "localhost:5000/a/b", "[::1]:5000/repo:t", "Foo/bar"}) {
    auto ref = ParseReference(text);
    REQUIRE(ref.has_value());
    auto again = ParseReference(ref->ToString());
    REQUIRE(again.has_value());
    CHECK(*again == *ref);
    auto familiar = ParseReference(ref->FamiliarString());
    REQUIRE(familiar.has_value());
    CHECK(*familiar == *ref);
  }
}

}  // namespace
}  // namespace bt::oci
