// Parsing of manifests and indexes from untrusted sources (SECURITY.md cases 30, 31, 33):
// what must be refused before anything trusts the document.
#include "oci/manifest.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "oci/image_config.h"
#include "oci/strict_json.h"

namespace bt::oci {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');

std::string Desc(const std::string& media_type, const std::string& digest, int size = 10) {
  return R"({"mediaType":")" + media_type + R"(","digest":")" + digest + R"(","size":)" +
         std::to_string(size) + "}";
}

std::string ManifestWithLayer(const std::string& layer_digest) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
         Desc("application/vnd.oci.image.config.v1+json", kA) + R"(,"layers":[)" +
         Desc("application/vnd.oci.image.layer.v1.tar+gzip", layer_digest) + "]}";
}

TEST_CASE("a well-formed manifest parses, and serializes back to the same bytes") {
  const std::string text = ManifestWithLayer(kB);
  Result<ImageManifest> m = ParseManifest(text);
  REQUIRE(m.has_value());
  CHECK(m->config.digest.ToString() == kA);
  REQUIRE(m->layers.size() == 1);
  CHECK(m->layers[0].digest.ToString() == kB);
  CHECK(SerializeManifest(*m) == text);
}

TEST_CASE("a descriptor's digest must be sha256 and 64 lowercase hex digits") {
  // CVE-2024-3727: a digest that reached a path join or a URL unvalidated.
  for (const std::string& bad : std::vector<std::string>{"sha256:../../../../tmp/x", "sha256:" + std::string(64, 'A'), "sha256:" + std::string(63, 'a'),
        "sha512:" + std::string(64, 'a'), "md5:d41d8cd98f00b204e9800998ecf8427e", ":" + std::string(64, 'a'),
        std::string(64, 'a'), "sha256:" + std::string(64, 'a') + "/x"}) {
    INFO(bad);
    Result<ImageManifest> m = ParseManifest(ManifestWithLayer(bad));
    REQUIRE_FALSE(m.has_value());
    CHECK(m.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("a manifest naming a key twice is refused, whichever value a reader would take") {
  // Go keeps the last "layers", other parsers the first: the two readers would see two images.
  const std::string twice =
      R"({"schemaVersion":2,"config":)" + Desc("application/vnd.oci.image.config.v1+json", kA) +
      R"(,"layers":[],"layers":[)" + Desc("application/vnd.oci.image.layer.v1.tar", kB) + "]}";
  Result<ImageManifest> m = ParseManifest(twice);
  REQUIRE_FALSE(m.has_value());
  CHECK(m.error().message.find("\"layers\" appears twice") != std::string::npos);
  // Inside a descriptor too.
  const std::string inner = R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" + kA +
                            R"(","digest":")" + kB + R"(","size":1},"layers":[]})";
  CHECK_FALSE(ParseManifest(inner).has_value());
  // The same key in two sibling objects is fine.
  CHECK(ParseManifest(ManifestWithLayer(kB)).has_value());
}

TEST_CASE("a document with both manifests and layers is ambiguous, as manifest or as index") {
  const std::string both = R"({"schemaVersion":2,"config":)" +
                           Desc("application/vnd.oci.image.config.v1+json", kA) + R"(,"layers":[],"manifests":[)" +
                           Desc("application/vnd.oci.image.manifest.v1+json", kB) + "]}";
  Result<ImageManifest> m = ParseManifest(both);
  REQUIRE_FALSE(m.has_value());
  CHECK(m.error().message.find("ambiguous") != std::string::npos);
  Result<ImageIndex> i = ParseIndex(both);
  REQUIRE_FALSE(i.has_value());
  CHECK(i.error().message.find("ambiguous") != std::string::npos);
}

TEST_CASE("a malformed subject descriptor is refused") {
  std::string text = ManifestWithLayer(kB);
  text.pop_back();
  CHECK(ParseManifest(text + R"(,"subject":)" + Desc("application/vnd.oci.image.manifest.v1+json", kB) + "}")
            .has_value());
  Result<ImageManifest> bad =
      ParseManifest(text + R"(,"subject":)" + Desc("application/vnd.oci.image.manifest.v1+json", "sha256:zz") + "}");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("manifests over the size limit, negative sizes and other schema versions are refused") {
  const std::string text = ManifestWithLayer(kB);
  CHECK_FALSE(ParseManifest(text, text.size() - 1).has_value());
  CHECK(ParseManifest(text, text.size()).has_value());
  CHECK_FALSE(ParseManifest(ManifestWithLayer(kB).replace(text.find("\"size\":10"), 9, "\"size\":-1")).has_value());
  std::string v1 = text;
  v1.replace(v1.find("\"schemaVersion\":2"), 17, "\"schemaVersion\":1");
  CHECK_FALSE(ParseManifest(v1).has_value());
}

TEST_CASE("an index parses its platforms, a manifest's media type is not an index's") {
  const std::string index = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                            kA + R"(","size":7,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]})";
  Result<ImageIndex> i = ParseIndex(index);
  REQUIRE(i.has_value());
  REQUIRE(i->manifests.size() == 1);
  REQUIRE(i->manifests[0].platform.has_value());
  CHECK(i->manifests[0].platform->variant == "v8");
  std::string wrong = index;
  wrong.replace(wrong.find("image.index.v1"), 14, "image.manifest.v1");
  CHECK_FALSE(ParseIndex(wrong).has_value());
}

TEST_CASE("an image config naming a key twice is refused") {
  const std::string ok = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  REQUIRE(ParseImageConfig(ok).has_value());
  const std::string twice =
      R"({"architecture":"amd64","os":"linux","config":{"User":"nobody","User":"root"},"rootfs":{"type":"layers","diff_ids":[]}})";
  Result<ImageConfig> c = ParseImageConfig(twice);
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().message.find("\"User\" appears twice") != std::string::npos);
}

TEST_CASE("strict JSON: not JSON is refused, keys are compared per object") {
  CHECK_FALSE(ParseStrictJson<nlohmann::json>("{\"a\":", "doc").has_value());
  CHECK(ParseStrictJson<nlohmann::json>(R"({"a":{"a":1},"b":[{"a":1},{"a":2}]})", "doc").has_value());
  CHECK_FALSE(ParseStrictJson<nlohmann::json>(R"({"a":1,"b":{"c":1,"c":1}})", "doc").has_value());
  // A key that closes one object and is used again after it is not a duplicate.
  CHECK(ParseStrictJson<nlohmann::ordered_json>(R"({"x":{"k":1},"k":2})", "doc").has_value());
}

}  // namespace
}  // namespace bt::oci
