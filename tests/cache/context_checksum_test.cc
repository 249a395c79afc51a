// The context checksum encodings (cache/context_checksum.h) are cache keys: these values were
// produced by the encoder before it moved into its own file, and must never change by
// accident, since a change invalidates every cached step that reads a build context.
#include "cache/context_checksum.h"

#include <string>

#include <catch2/catch.hpp>

namespace bt::cache {
namespace {

TEST_CASE("node and directory checksums keep their encoding", "[cache][context_checksum]") {
  std::string scratch;
  ContextNode file;
  file.name = "main.c";
  file.type = ContextNodeType::kRegular;
  file.mode = 04755;
  file.uid = 1000;
  file.gid = 100;
  file.size = 11;
  const Checksum128 content{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  const Checksum128 file_sum = LeafChecksum(file, &content, &scratch);
  CHECK(file_sum.Hex() == "4676c6df6bbf94ac595999e5179d2a2b");

  ContextNode link;
  link.name = "link";
  link.type = ContextNodeType::kSymlink;
  link.mode = 0777;
  link.link_target = "../target";
  const Checksum128 link_sum = LeafChecksum(link, nullptr, &scratch);
  CHECK(link_sum.Hex() == "dc3a6627e1a30dc340411aa1ea31faee");

  ContextNode device;
  device.name = "null";
  device.type = ContextNodeType::kCharDevice;
  device.mode = 0666;
  device.rdev_major = 1;
  device.rdev_minor = 3;
  CHECK(LeafChecksum(device, nullptr, &scratch).Hex() == "512376d693bd5a6b7cefcc62022e70de");

  ContextNode dir;
  dir.name = "src";
  dir.type = ContextNodeType::kDirectory;
  dir.mode = 0755;
  auto dir_sum = [&](DirChecksumBuilder::Header header) {
    DirChecksumBuilder builder(dir, header, 2, &scratch);
    builder.AddChild("link", link_sum);
    builder.AddChild("main.c", file_sum);
    return builder.Finish().Hex();
  };
  CHECK(dir_sum(DirChecksumBuilder::Header::kInclude) == "cc4af56599e3467fd3c08fa3ab54181f");
  CHECK(dir_sum(DirChecksumBuilder::Header::kOmit) == "7633d2a47966ea6e40f0614bec49d7eb");
}

}  // namespace
}  // namespace bt::cache
