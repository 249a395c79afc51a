// The exported build cache (issue 8: --cache-to / --cache-from): what one machine's cache
// records become so that another machine's build can match them. It travels as an ordinary
// OCI image manifest — any registry that stores images stores it — whose layers are the
// result snapshots' layer blobs and whose config blob is this document:
//
//   {"layers":  [{"blob": "sha256:...", "parent": -1}, {"blob": "sha256:...", "parent": 0}],
//    "records": [{"key": "sha256:...", "outputs": [1], "created": "2026-11-29T15:00:00Z"}]}
//
// A layer is one snapshot's diff; `parent` is the index of the layer below it (-1: the chain
// starts on an empty root filesystem), always an earlier entry, so chains cannot loop. A
// record is one cache record: its key (the portable SHA-256 key, never a machine-local
// fingerprint) and, per op output, the index of the top layer of the output's chain (-1: an
// empty root filesystem). The shape follows BuildKit's cache config v0 (cache/remotecache/v1),
// keyed by whole keys rather than by links between per-op records: a record can only ever
// satisfy the one key it names, and matching is a lookup.
//
// Parsing treats the document as hostile: strict JSON (no repeated keys), valid digests,
// indices in range, parents before children, each key once, and caps on the counts (a crafted
// document is refused before anything is fetched for it). Plain values; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/digest.h"

namespace bt::cache {

inline constexpr std::string_view kCacheConfigMediaType =
    "application/vnd.buildtool.cache.config.v1+json";
// The annotation of a cache manifest's layer naming its diffID (containerd's, as BuildKit's
// cache layers carry it): what the layer must unpack to, known before it is fetched.
inline constexpr std::string_view kUncompressedAnnotation = "containerd.io/uncompressed";

// Caps on what an imported document may hold (SECURITY.md decision 7 style published limits).
inline constexpr std::size_t kMaxCacheConfigBytes = 16u << 20;
inline constexpr std::size_t kMaxExportedLayers = 100'000;
inline constexpr std::size_t kMaxExportedRecords = 100'000;
inline constexpr std::size_t kMaxOutputsPerRecord = 64;

struct ExportedLayer {
  oci::Digest blob;  // the layer blob, one of the cache manifest's layers
  int parent = -1;   // index of the layer below; -1 when this one is the bottom
  auto operator<=>(const ExportedLayer&) const = default;
};

struct ExportedRecord {
  oci::Digest key;
  std::vector<int> outputs;  // per op output: top layer index, -1 for an empty rootfs
  std::string created;       // RFC 3339, for people and for choosing the newest
  auto operator<=>(const ExportedRecord&) const = default;
};

struct CacheConfig {
  std::vector<ExportedLayer> layers;
  std::vector<ExportedRecord> records;
};

// The document's bytes: records sorted by key, layers as given (their indices are what the
// records and parents refer to), so the same content always gives the same digest.
std::string SerializeCacheConfig(const CacheConfig& config);

// kInvalidArgument naming what is wrong: not JSON, a repeated key, a malformed digest, an
// index out of range or a parent that is not an earlier layer, a key named by two records,
// or more than the caps allow.
Result<CacheConfig> ParseCacheConfig(std::string_view json);

// The layer blobs of output `index`'s chain, bottom first (empty for -1). The config must be
// one ParseCacheConfig accepted (parents before children), so this ends.
std::vector<oci::Digest> ChainOf(const CacheConfig& config, int index);

}  // namespace bt::cache
