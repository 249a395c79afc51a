// Layers and images from snapshots: the blob and diffID are what gzip and sha256sum (not
// buildtool) say of the stored bytes; a second export reuses the blob; an empty diff is left
// out as BuildKit leaves it out; manifests parse back and hostile ones are refused.
#include "exporter/image_build.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"
#include "cache/cache_root.h"
#include "oci/manifest.h"
#include "tests/support/snapshot_fixture.h"

namespace bt::exporter {
namespace {

struct Fixture : test::SnapshotFixture {
  Fixture() : SnapshotFixture("bt-image-build-") {}
};

// The first field of a shell command's output.
std::string Shell(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[256] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, p);
  ::pclose(p);
  std::string out(buf, n);
  return out.substr(0, out.find_first_of(" \n"));
}

TEST_CASE("a layer blob is the gzip of a tar whose sha256 is the diffID", "[exporter][image]") {
  Fixture f;
  const std::string id = f.Snapshot(std::nullopt, {{"hello.txt", "hello\n"}});
  Result<LayerBlob> blob = ExportLayer(f.root, id, LayerOptions{});
  REQUIRE(blob.has_value());
  CHECK_FALSE(blob->empty);
  const std::string path = f.root.content().BlobPath(blob->digest);
  CHECK("sha256:" + Shell("sha256sum " + path) == blob->digest.ToString());
  CHECK("sha256:" + Shell("gzip -dc " + path + " | sha256sum") == blob->diff_id.ToString());
  CHECK(Shell("gzip -dc " + path + " | tar -tf -") == "hello.txt");
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(st.st_size == blob->size);

  // Again: the remembered blob, not a new one.
  const auto mtime = st.st_mtim;
  Result<LayerBlob> again = ExportLayer(f.root, id, LayerOptions{});
  REQUIRE(again.has_value());
  CHECK(again->digest == blob->digest);
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(st.st_mtim.tv_nsec == mtime.tv_nsec);

  // Another compression is another blob of the same tar.
  LayerOptions zstd;
  zstd.compression = oci::LayerCompression::kZstd;
  Result<LayerBlob> z = ExportLayer(f.root, id, zstd);
  REQUIRE(z.has_value());
  CHECK(z->digest != blob->digest);
  CHECK(z->diff_id == blob->diff_id);
  CHECK("sha256:" + Shell("zstd -dc " + f.root.content().BlobPath(z->digest) + " | sha256sum") ==
        z->diff_id.ToString());

  // A remembered blob that is gone from the store (pruned) is made again.
  REQUIRE(f.root.content().Delete(blob->digest).has_value());
  Result<LayerBlob> remade = ExportLayer(f.root, id, LayerOptions{});
  REQUIRE(remade.has_value());
  CHECK(remade->digest == blob->digest);
  CHECK(f.root.content().Contains(blob->digest));
}

TEST_CASE("an empty diff stays a layer of the image, as docker 20.10's BuildKit keeps it",
          "[exporter][image]") {
  Fixture f;
  const std::string bottom = f.Snapshot(std::nullopt, {{"a", "a"}});
  const std::string empty = f.Snapshot(bottom, {});
  const std::string top = f.Snapshot(empty, {{"b", "b"}});
  oci::ImageConfig config;
  config.platform = oci::Platform{"linux", "amd64", ""};
  for (const char* step : {"COPY a /a", "RUN true", "COPY b /b"}) {
    oci::HistoryEntry h;
    h.created_by = step;
    config.history.push_back(h);
  }
  oci::HistoryEntry env;
  env.created_by = "ENV X=1";
  env.empty_layer = true;
  config.history.insert(config.history.begin() + 1, env);
  ImageOptions options;
  options.source_date_epoch = 1700000000;
  Result<BuiltImage> image = BuildImage(f.root, top, config, options);
  REQUIRE(image.has_value());
  CHECK(image->layers.size() == 3);
  Result<oci::ImageManifest> manifest = oci::ParseManifest(image->manifest_json);
  REQUIRE(manifest.has_value());
  CHECK(manifest->layers == image->layers);
  CHECK(manifest->media_type == oci::media_type::kOciManifest);
  // The descriptors say what they describe: an index names the manifest by this one.
  CHECK(image->manifest.media_type == oci::media_type::kOciManifest);
  CHECK(image->manifest.digest == oci::Digest::Of(image->manifest_json));
  CHECK(image->config.media_type == oci::media_type::kOciConfig);
  CHECK(image->config.digest == oci::Digest::Of(image->config_json));
  Result<oci::ImageConfig> written = oci::ParseImageConfig(image->config_json);
  REQUIRE(written.has_value());
  REQUIRE(written->diff_ids.size() == 3);
  REQUIRE(written->history.size() == 4);
  CHECK_FALSE(written->history[0].empty_layer);  // COPY a
  CHECK(written->history[1].empty_layer);        // ENV
  CHECK_FALSE(written->history[2].empty_layer);  // RUN true: an empty layer, kept
  CHECK_FALSE(written->history[3].empty_layer);  // COPY b
  CHECK(written->created == "2023-11-14T22:13:20Z");
  CHECK(written->history[2].created == "2023-11-14T22:13:20Z");
  // Every blob of the image is in the store, under its digest.
  for (const oci::Digest& d : image->Blobs()) CHECK(f.root.content().Verify(d).has_value());
}

TEST_CASE("history claiming more layers than there are is corrected, and missing history added",
          "[exporter][image]") {
  Fixture f;
  const std::string one = f.Snapshot(std::nullopt, {{"a", "a"}});
  const std::string two = f.Snapshot(one, {{"b", "b"}});
  oci::ImageConfig three;
  for (int i = 0; i < 3; ++i) three.history.push_back(oci::HistoryEntry{});
  Result<BuiltImage> over = BuildImage(f.root, one, three, ImageOptions{});
  REQUIRE(over.has_value());
  Result<oci::ImageConfig> c1 = oci::ParseImageConfig(over->config_json);
  REQUIRE(c1.has_value());
  CHECK_FALSE(c1->history[0].empty_layer);
  CHECK(c1->history[1].empty_layer);
  CHECK(c1->history[2].empty_layer);

  Result<BuiltImage> under = BuildImage(f.root, two, oci::ImageConfig{}, ImageOptions{});
  REQUIRE(under.has_value());
  Result<oci::ImageConfig> c2 = oci::ParseImageConfig(under->config_json);
  REQUIRE(c2.has_value());
  CHECK(c2->history.size() == 2);
  CHECK(c2->diff_ids.size() == 2);
}

TEST_CASE("manifests and indexes round-trip, and hostile ones are refused", "[exporter][image]") {
  oci::ImageManifest m;
  m.media_type = std::string(oci::media_type::kDockerManifest);
  m.config = oci::Descriptor{std::string(oci::media_type::kDockerConfig), oci::Digest::Of("c"), 1, {}, {}};
  m.layers.push_back(
      oci::Descriptor{std::string(oci::media_type::kDockerLayerGzip), oci::Digest::Of("l"), 2, {}, {}});
  const std::string json = oci::SerializeManifest(m);
  // Field order as the Go structs marshal them.
  CHECK(json.rfind("{\"schemaVersion\":2,\"mediaType\":", 0) == 0);
  Result<oci::ImageManifest> back = oci::ParseManifest(json);
  REQUIRE(back.has_value());
  CHECK(back->layers == m.layers);
  CHECK(back->config == m.config);

  const std::string d = oci::Digest::Of("x").ToString();
  for (const std::string& bad : std::vector<std::string>{
           std::string("not json"),
           std::string("[]"),
           "{\"schemaVersion\":1,\"config\":{\"mediaType\":\"a\",\"digest\":\"" + d +
               "\",\"size\":1},\"layers\":[]}",
           std::string("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":"
                       "\"sha256:00\",\"size\":1},\"layers\":[]}"),
           "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" + d +
               "\",\"size\":-1},\"layers\":[]}",
           "{\"schemaVersion\":2,\"mediaType\":\"text/html\",\"config\":{\"mediaType\":\"a\","
           "\"digest\":\"" + d + "\",\"size\":1},\"layers\":[]}",
           "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" + d +
               "\",\"size\":1}}",
       }) {
    INFO(bad);
    CHECK(oci::ParseManifest(bad).error().code == ErrorCode::kInvalidArgument);
  }
  CHECK(oci::ParseManifest(std::string(5u << 20, ' ')).error().code == ErrorCode::kInvalidArgument);
  CHECK_FALSE(oci::ParseIndex("{\"schemaVersion\":2,\"manifests\":{}}").has_value());
}

}  // namespace
}  // namespace bt::exporter
