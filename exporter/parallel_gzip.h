// ParallelGzip: one gzip member (RFC 1952) whose deflate stream is made on several threads, as
// pigz makes it: the input is cut into blocks, each block is compressed on its own with the
// 32 KiB of input before it as its dictionary (so the ratio is a single stream's, within a
// fraction of a percent), each ends with a sync flush so that the pieces concatenate into one
// valid stream, and a final empty block closes it. The CRC-32 of each block is computed beside
// its compression and combined. The output does not depend on the number of threads: the
// same input and level always give the same bytes. An image layer is the one big stream of an
// export, so this is where all cores help (issue 7's export benchmark).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace bt::exporter {

class ParallelGzip {
 public:
  using Output = std::function<Result<void>(std::string_view)>;
  static constexpr std::size_t kBlockSize = 128 * 1024;  // pigz's
  static constexpr std::size_t kWindow = 32 * 1024;       // deflate's dictionary
  // The level of a layer when none is asked for. On big-layer's 300 MiB of hex text, one
  // core: zlib -6 16 MB/s (ratio 3.08), zlib -1 67 MB/s (2.53), igzip -3 289 MB/s (2.76):
  // igzip's level 3 costs a tenth more bytes than zlib's default and is 18 times faster,
  // which is what a CI build pushing to a registry on a fast network wants. Users who want
  // the smaller layer ask for compression-level=6..9.
  static constexpr int kDefaultLevel = 3;

  // `level`: 0-9, or -1 for kDefaultLevel. Levels 1-3 are ISA-L's igzip, the others zlib's.
  // Blocks are compressed `batch_blocks` at a
  // time (0: four per core), which bounds the memory held to about twice that many blocks.
  ParallelGzip(Output out, int level, std::size_t batch_blocks = 0);
  ParallelGzip(const ParallelGzip&) = delete;
  ParallelGzip& operator=(const ParallelGzip&) = delete;

  Result<void> Write(std::string_view bytes);
  // Compresses what is left, closes the stream and writes the trailer. Once only.
  Result<void> Finish();

 private:
  // Compresses and emits the first `blocks` whole blocks of pending_ (or all of it when
  // `all`), keeping the last window of input as the next dictionary.
  Result<void> Flush(std::size_t bytes);

  Output out_;
  int level_;
  std::size_t batch_bytes_;
  std::string pending_;     // input not compressed yet
  std::string window_;      // the last kWindow bytes of input already compressed
  std::uint32_t crc_ = 0;
  std::uint64_t total_ = 0;
  bool header_written_ = false;
  bool finished_ = false;
};

}  // namespace bt::exporter
