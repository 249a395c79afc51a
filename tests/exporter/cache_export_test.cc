// BuildCacheManifest: records become an OCI image manifest whose config is the cache config
// and whose layers are the results' layer blobs, each snapshot once, each with its diffID.
#include "exporter/cache_export.h"

#include <string>

#include <catch2/catch.hpp>

#include "cache/cache_export_format.h"
#include "cache/imported_cache.h"
#include "oci/manifest.h"
#include "tests/support/snapshot_fixture.h"

namespace bt::exporter {
namespace {

oci::Digest Key(char c) { return *oci::Digest::Parse("sha256:" + std::string(64, c)); }

TEST_CASE("cache records become a manifest of their layers and a config that chains them",
          "[exporter][cache]") {
  test::SnapshotFixture f("bt-cache-export-");
  const std::string base = f.Snapshot(std::nullopt, {{"a", "first"}});
  const std::string mid = f.Snapshot(base, {{"b", "second"}});
  const std::string top = f.Snapshot(mid, {{"c", "third"}});
  // Two records share the chain's lower snapshots; one has an empty root filesystem as its
  // second output.
  const std::vector<CacheExportRecord> records = {
      {Key('e'), {top}, "2026-11-29T15:00:00Z"},
      {Key('d'), {mid, std::nullopt}, "2026-11-29T14:00:00Z"},
  };
  Result<BuiltImage> built = BuildCacheManifest(f.root, records, {});
  REQUIRE(built.has_value());
  CHECK(built->config.media_type == cache::kCacheConfigMediaType);
  // Stored, and what they say they are.
  Result<std::string> manifest_text = f.root.content().ReadAll(built->manifest.digest, 1 << 20, "manifest");
  REQUIRE(manifest_text.has_value());
  CHECK(oci::Digest::Of(*manifest_text) == built->manifest.digest);
  Result<oci::ImageManifest> manifest = oci::ParseManifest(*manifest_text);
  REQUIRE(manifest.has_value());
  CHECK(manifest->config.digest == built->config.digest);
  REQUIRE(manifest->layers.size() == 3);
  Result<std::string> config_text = f.root.content().ReadAll(built->config.digest, 1 << 20, "config");
  REQUIRE(config_text.has_value());
  Result<cache::CacheConfig> config = cache::ParseCacheConfig(*config_text);
  REQUIRE(config.has_value());
  // Records are taken in key order: 'd' (mid's chain) lays base and mid, then 'e' adds top.
  REQUIRE(config->layers.size() == 3);
  CHECK(config->layers[0].parent == -1);
  CHECK(config->layers[1].parent == 0);
  CHECK(config->layers[2].parent == 1);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(config->layers[i].blob == manifest->layers[i].digest);
    CHECK(manifest->layers[i].media_type == oci::media_type::kOciLayerGzip);
    // The diffID the annotation names is the layer's own: the same as the image exporter's.
    Result<LayerBlob> blob = ExportLayer(f.root, i == 0 ? base : i == 1 ? mid : top, {});
    REQUIRE(blob.has_value());
    CHECK(blob->digest == manifest->layers[i].digest);
    CHECK(manifest->layers[i].annotations.at(std::string(cache::kUncompressedAnnotation)) == blob->diff_id.ToString());
    CHECK(f.root.content().Contains(manifest->layers[i].digest));
  }
  // Records by key; outputs name the top of each chain.
  REQUIRE(config->records.size() == 2);
  CHECK(config->records[0].key == Key('d'));
  CHECK(config->records[0].outputs == std::vector<int>{1, -1});
  CHECK(config->records[1].key == Key('e'));
  CHECK(config->records[1].outputs == std::vector<int>{2});
  CHECK(cache::ChainOf(*config, 2) ==
        std::vector<oci::Digest>{manifest->layers[0].digest, manifest->layers[1].digest, manifest->layers[2].digest});
  // The same records, in any order, give the same manifest, byte for byte.
  Result<BuiltImage> again = BuildCacheManifest(f.root, {records[1], records[0]}, {});
  REQUIRE(again.has_value());
  CHECK(again->manifest.digest == built->manifest.digest);
}

TEST_CASE("a cache record without outputs is refused", "[exporter][cache]") {
  test::SnapshotFixture f("bt-cache-export-");
  Result<BuiltImage> built = BuildCacheManifest(f.root, {{Key('d'), {}, ""}}, {});
  REQUIRE_FALSE(built.has_value());
  CHECK(built.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("an exported cache reads back: each key's outputs as their layers and diffIDs", "[exporter][cache]") {
  test::SnapshotFixture f("bt-cache-export-");
  const std::string base = f.Snapshot(std::nullopt, {{"a", "first"}});
  const std::string top = f.Snapshot(base, {{"b", "second"}});
  Result<BuiltImage> built =
      BuildCacheManifest(f.root, {{Key('d'), {top, std::nullopt}, "2026-11-29T14:00:00Z"}}, {});
  REQUIRE(built.has_value());
  Result<cache::ImportedCache> imported = cache::ImportedCache::Parse(built->manifest_json, built->config_json);
  REQUIRE(imported.has_value());
  CHECK(imported->size() == 1);
  CHECK_FALSE(imported->Lookup(Key('e')).has_value());
  const auto outputs = imported->Lookup(Key('d'));
  REQUIRE(outputs.has_value());
  REQUIRE(outputs->size() == 2);
  CHECK((*outputs)[1].empty());
  REQUIRE((*outputs)[0].size() == 2);
  const std::string ids[] = {base, top};
  for (std::size_t i = 0; i < 2; ++i) {
    Result<LayerBlob> blob = ExportLayer(f.root, ids[i], {});
    REQUIRE(blob.has_value());
    CHECK((*outputs)[0][i].blob.digest == blob->digest);
    CHECK((*outputs)[0][i].diff_id == blob->diff_id);
  }
}

}  // namespace
}  // namespace bt::exporter
