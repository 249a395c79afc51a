// Image manifests, image indexes and their descriptors (OCI image-spec manifest.md,
// image-index.md, descriptor.md), with the Docker v2 schema 2 media types beside the OCI ones.
// Serialization is deterministic, in the field order of the Go structs (ocispec) that BuildKit
// marshals, so the same manifest is always the same bytes and digest. Parsing checks what a
// pulled or loaded manifest must satisfy before anything trusts it: schemaVersion 2, valid
// digests, non-negative sizes, and a size limit. Plain values; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/digest.h"
#include "oci/platform.h"

namespace bt::oci {

namespace media_type {
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
}  // namespace media_type

// The OCI annotation naming a manifest in an image layout's index.json.
inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

struct Descriptor {
  std::string media_type;
  Digest digest;
  std::int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
  auto operator<=>(const Descriptor&) const = default;
};

struct ImageManifest {
  std::string media_type;  // kOciManifest or kDockerManifest
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};

struct ImageIndex {
  std::string media_type;  // kOciIndex or kDockerManifestList; empty is written as absent
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

// The most a manifest or index may weigh: what registries accept (distribution's default).
inline constexpr std::size_t kMaxManifestBytes = 4u << 20;
// Published limits (SECURITY.md decision 7): how deep indexes may nest, and the most a layer
// blob may weigh (a pull refuses a bigger descriptor before fetching a byte; unpacking has
// its own caps).
inline constexpr int kMaxIndexDepth = 8;
inline constexpr std::uint64_t kMaxLayerBlobBytes = 64ull << 30;

std::string SerializeManifest(const ImageManifest& manifest);
std::string SerializeIndex(const ImageIndex& index);

// kInvalidArgument naming what is wrong (not JSON, schemaVersion other than 2, a bad digest
// or size, a media type that is not a manifest's, more than max_bytes).
Result<ImageManifest> ParseManifest(std::string_view json,
                                    std::size_t max_bytes = kMaxManifestBytes);
Result<ImageIndex> ParseIndex(std::string_view json, std::size_t max_bytes = kMaxManifestBytes);

// Whether a media type names an index (OCI index or Docker manifest list), a manifest, or a
// layer that is gzip-compressed, zstd-compressed or plain.
bool IsIndexMediaType(std::string_view media_type);
bool IsManifestMediaType(std::string_view media_type);
enum class LayerCompression { kUncompressed, kGzip, kZstd };
std::optional<LayerCompression> LayerCompressionOf(std::string_view media_type);

}  // namespace bt::oci
