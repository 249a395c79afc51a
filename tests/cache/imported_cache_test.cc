// ImportedCache: a cache manifest and config that disagree, or whose layers cannot be
// trusted to say what they unpack to, are refused before any record is believed.
#include "cache/imported_cache.h"

#include <string>

#include <catch2/catch.hpp>

#include "cache/cache_export_format.h"

namespace bt::cache {
namespace {

std::string S(char c) { return "sha256:" + std::string(64, c); }

struct Cache {
  std::string config = R"({"layers":[{"blob":")" + S('a') + R"(","parent":-1}],"records":[{"key":")" + S('d') +
                       R"(","outputs":[0]}]})";
  std::string layer_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  std::string layer_digest = S('a');
  std::string annotations = R"({"containerd.io/uncompressed":")" + S('b') + R"("})";
  std::string config_type = std::string(kCacheConfigMediaType);
  std::string Manifest() const {
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":")" +
           config_type + R"(","digest":")" + oci::Digest::Of(config).ToString() + R"(","size":)" +
           std::to_string(config.size()) + R"(},"layers":[{"mediaType":")" + layer_type + R"(","digest":")" +
           layer_digest + R"(","size":10,"annotations":)" + annotations + "}]}";
  }
  Result<ImportedCache> Parse() const { return ImportedCache::Parse(Manifest(), config); }
};

TEST_CASE("a consistent cache manifest and config are imported", "[cache][import]") {
  Result<ImportedCache> c = Cache{}.Parse();
  REQUIRE(c.has_value());
  const auto outputs = c->Lookup(*oci::Digest::Parse(S('d')));
  REQUIRE(outputs.has_value());
  REQUIRE(outputs->size() == 1);
  REQUIRE((*outputs)[0].size() == 1);
  CHECK((*outputs)[0][0].diff_id.ToString() == S('b'));
}

TEST_CASE("inconsistent or untrustworthy caches are refused", "[cache][import]") {
  struct Case {
    const char* what;
    Cache cache;
    std::string message;
  };
  std::vector<Case> cases;
  {
    Cache c;
    c.config_type = "application/vnd.oci.image.config.v1+json";
    cases.push_back({"an image, not a cache", c, "not a buildtool cache config"});
  }
  {
    Cache c;
    c.layer_digest = S('c');
    cases.push_back({"a record layer the manifest does not list", c, "does not list"});
  }
  {
    Cache c;
    c.annotations = "{}";
    cases.push_back({"a layer without its diffID", c, "does not say what it unpacks to"});
  }
  {
    Cache c;
    c.annotations = R"({"containerd.io/uncompressed":"sha256:../../x"})";
    cases.push_back({"a diffID that is not a digest", c, "is not a sha256 digest"});
  }
  {
    Cache c;
    c.layer_type = "application/vnd.example.not-a-layer";
    cases.push_back({"a layer that is not a tar", c, "not a tar layer"});
  }
  for (const Case& k : cases) {
    INFO(k.what);
    Result<ImportedCache> r = k.cache.Parse();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK(r.error().message.find(k.message) != std::string::npos);
  }
  // A config other than the one the manifest names.
  Cache c;
  const std::string manifest = c.Manifest();
  c.config += " ";
  Result<ImportedCache> swapped = ImportedCache::Parse(manifest, c.config);
  REQUIRE_FALSE(swapped.has_value());
  CHECK(swapped.error().message.find("not the one the manifest names") != std::string::npos);
}

}  // namespace
}  // namespace bt::cache
