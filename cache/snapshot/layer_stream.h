// LayerStream: a layer blob read from a descriptor and handed out uncompressed (none, gzip or
// zstd), with the SHA-256 of the uncompressed bytes computed on the way: that is the layer's
// diffID, which an image's config lists and which nothing else checks. The layer's appliers
// read through it (ApplyLayerStream) and then call Finish(), which reads whatever the tar reader
// left (padding after the end-of-archive blocks counts too) and returns the digest.
#pragma once

#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/digest.h"

namespace bt::cache {

enum class LayerEncoding { kPlain, kGzip, kZstd };

class LayerStream {
 public:
  // `fd` stays the caller's; it is read from its current offset.
  LayerStream(int fd, LayerEncoding encoding);
  ~LayerStream();
  LayerStream(const LayerStream&) = delete;
  LayerStream& operator=(const LayerStream&) = delete;

  // The next uncompressed bytes; empty at the end. kIo for a failed read, kDataLoss for
  // compressed data that does not decode (or a stream cut short).
  Result<std::string_view> Next();
  // Reads to the end and returns the digest of everything uncompressed. Once only.
  Result<oci::Digest> Finish();
  std::uint64_t uncompressed_bytes() const { return total_; }

 private:
  Result<std::size_t> Fill();  // compressed input; 0 at EOF

  int fd_;
  LayerEncoding encoding_;
  std::vector<char> in_;
  std::vector<char> out_;
  std::size_t in_pos_ = 0, in_len_ = 0;
  bool eof_ = false;
  bool done_ = false;  // the compressed stream ended
  z_stream z_{};
  bool z_init_ = false;
  ZSTD_DCtx* zstd_ = nullptr;
  oci::Sha256Hasher hash_;
  std::uint64_t total_ = 0;
};

}  // namespace bt::cache
