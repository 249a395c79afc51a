// The two values a build-context stat cache remembers per file (cache/stat_cache.h): the
// XXH3-128 checksum of the file's content, and the stat identity under which that checksum
// stays valid. Plain data.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>

namespace bt::cache {

// An XXH3-128 hash (xxHash's XXH128_hash_t halves).
struct Checksum128 {
  uint64_t high = 0;
  uint64_t low = 0;
  bool operator==(const Checksum128&) const = default;
  // 32 lowercase hex digits, high half first (xxHash's canonical big-endian form).
  std::string Hex() const;
};

// What must not change for a cached content checksum to stay valid.
struct StatIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint32_t mode = 0;
  bool operator==(const StatIdentity&) const = default;
  static StatIdentity Of(const struct stat& st);
};

}  // namespace bt::cache
