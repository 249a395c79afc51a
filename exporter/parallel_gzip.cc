#include "exporter/parallel_gzip.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

namespace bt::exporter {
namespace {

struct Block {
  std::string_view input;
  std::string_view dictionary;
  std::string output;
  std::uint32_t crc = 0;
  bool ok = true;
};

// Deflates one block into raw deflate data that ends with a sync flush: on a byte boundary and
// without a final block, so that the next block may follow it in the same stream. One per
// thread, reused for every block it compresses.
class BlockDeflater {
 public:
  virtual ~BlockDeflater() = default;
  virtual bool Compress(Block& b) = 0;
};

// zlib, for levels 0 and 4-9: what a user asks for by naming a level above ISA-L's.
class ZlibDeflater : public BlockDeflater {
 public:
  explicit ZlibDeflater(int level) {
    ok_ = deflateInit2(&z_, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~ZlibDeflater() override {
    if (ok_) deflateEnd(&z_);
  }
  bool Compress(Block& b) override {
    if (!ok_ || deflateReset(&z_) != Z_OK) return false;
    if (!b.dictionary.empty() &&
        deflateSetDictionary(&z_, reinterpret_cast<const Bytef*>(b.dictionary.data()),
                             static_cast<uInt>(b.dictionary.size())) != Z_OK) {
      return false;
    }
    b.output.resize(deflateBound(&z_, static_cast<uLong>(b.input.size())) + 16);
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(b.input.data()));
    z_.avail_in = static_cast<uInt>(b.input.size());
    z_.next_out = reinterpret_cast<Bytef*>(b.output.data());
    z_.avail_out = static_cast<uInt>(b.output.size());
    const int rc = deflate(&z_, Z_SYNC_FLUSH);
    if (rc != Z_OK || z_.avail_in != 0 || z_.avail_out == 0) return false;
    b.output.resize(b.output.size() - z_.avail_out);
    return true;
  }

 private:
  z_stream z_{};
  bool ok_ = false;
};

// ISA-L's igzip, for levels 1-3 (and so the default): hand-vectorized deflate that runs
// several times faster than zlib's level 1 at a ratio between zlib's levels 1 and 6 (see
// ParallelGzip's header for the numbers).
class IsalDeflater : public BlockDeflater {
 public:
  explicit IsalDeflater(int level) : level_(level), level_buf_(LevelBufSize(level), '\0') {}
  bool Compress(Block& b) override {
    isal_zstream z;
    isal_deflate_init(&z);
    z.level = static_cast<std::uint32_t>(level_);
    z.level_buf = reinterpret_cast<std::uint8_t*>(level_buf_.data());
    z.level_buf_size = static_cast<std::uint32_t>(level_buf_.size());
    z.flush = SYNC_FLUSH;
    z.end_of_stream = 0;
    z.gzip_flag = IGZIP_DEFLATE;
    if (!b.dictionary.empty() &&
        isal_deflate_set_dict(&z, reinterpret_cast<std::uint8_t*>(const_cast<char*>(b.dictionary.data())),
                              static_cast<std::uint32_t>(b.dictionary.size())) != COMP_OK) {
      return false;
    }
    // Room for the worst case (stored blocks: 5 bytes per 64 KiB) and the flush marker; more is
    // added if ISA-L still runs out.
    b.output.resize(b.input.size() + b.input.size() / 64 + 1024);
    z.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(b.input.data()));
    z.avail_in = static_cast<std::uint32_t>(b.input.size());
    std::size_t written = 0;
    for (;;) {
      z.next_out = reinterpret_cast<std::uint8_t*>(b.output.data() + written);
      z.avail_out = static_cast<std::uint32_t>(b.output.size() - written);
      if (isal_deflate(&z) != COMP_OK) return false;
      written = b.output.size() - z.avail_out;
      // isal_deflate returns with room left only when it has taken all input and written the
      // flush; out of room, it goes on where it stopped.
      if (z.avail_out > 0) break;
      b.output.resize(b.output.size() * 2);
    }
    b.output.resize(written);
    return z.avail_in == 0;
  }

 private:
  static std::size_t LevelBufSize(int level) {
    switch (level) {
      case 1: return ISAL_DEF_LVL1_DEFAULT;
      case 2: return ISAL_DEF_LVL2_DEFAULT;
      default: return ISAL_DEF_LVL3_DEFAULT;
    }
  }
  int level_;
  std::string level_buf_;
};

std::unique_ptr<BlockDeflater> MakeDeflater(int level) {
  if (level >= 1 && level <= 3) return std::make_unique<IsalDeflater>(level);
  return std::make_unique<ZlibDeflater>(level);
}

void Compress(BlockDeflater& d, Block& b) {
  b.ok = d.Compress(b);
  b.crc = crc32_gzip_refl(0, reinterpret_cast<const std::uint8_t*>(b.input.data()), b.input.size());
}

void PutLe32(std::string* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

ParallelGzip::ParallelGzip(Output out, int level, std::size_t batch_blocks)
    : out_(std::move(out)), level_(level < 0 ? kDefaultLevel : std::min(level, 9)) {
  if (batch_blocks == 0) batch_blocks = 4 * std::max(1u, std::thread::hardware_concurrency());
  batch_bytes_ = batch_blocks * kBlockSize;
  pending_.reserve(batch_bytes_);
}

Result<void> ParallelGzip::Write(std::string_view bytes) {
  if (finished_) return MakeError(ErrorCode::kFailedPrecondition, "gzip stream already finished");
  while (!bytes.empty()) {
    const std::size_t take = std::min(bytes.size(), batch_bytes_ - pending_.size());
    pending_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (pending_.size() == batch_bytes_) BT_TRY(Flush(pending_.size()));
  }
  return {};
}

Result<void> ParallelGzip::Flush(std::size_t bytes) {
  if (!header_written_) {
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown): the same bytes on any machine.
    static constexpr char kHeader[10] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 0, '\xff'};
    BT_TRY(out_(std::string_view(kHeader, sizeof kHeader)));
    header_written_ = true;
  }
  if (bytes == 0) return {};
  const std::size_t count = (bytes + kBlockSize - 1) / kBlockSize;
  std::vector<Block> blocks(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t start = i * kBlockSize;
    blocks[i].input = std::string_view(pending_).substr(start, std::min(kBlockSize, bytes - start));
    if (i == 0) {
      blocks[i].dictionary = window_;
    } else {
      const std::size_t from = start >= kWindow ? start - kWindow : 0;
      blocks[i].dictionary = std::string_view(pending_).substr(from, start - from);
    }
  }
  tbb::enumerable_thread_specific<std::unique_ptr<BlockDeflater>> deflaters;
  tbb::parallel_for(std::size_t{0}, count, [&](std::size_t i) {
    std::unique_ptr<BlockDeflater>& d = deflaters.local();
    if (!d) d = MakeDeflater(level_);
    Compress(*d, blocks[i]);
  });
  for (const Block& b : blocks) {
    if (!b.ok) return MakeError(ErrorCode::kInternal, "gzip: deflate failed");
    BT_TRY(out_(b.output));
    crc_ = static_cast<std::uint32_t>(crc32_combine(crc_, b.crc, static_cast<z_off_t>(b.input.size())));
    total_ += b.input.size();
  }
  const std::size_t keep = std::min(kWindow, bytes);
  std::string next_window;
  if (keep < kWindow) next_window = window_.substr(window_.size() - std::min(window_.size(), kWindow - keep));
  next_window.append(pending_, bytes - keep, keep);
  window_ = std::move(next_window);
  pending_.erase(0, bytes);
  return {};
}

Result<void> ParallelGzip::Finish() {
  if (finished_) return MakeError(ErrorCode::kFailedPrecondition, "gzip stream already finished");
  BT_TRY(Flush(pending_.size()));
  finished_ = true;
  // The final block: empty, fixed Huffman, BFINAL set — the bits 1, 01, 0000000 (end of
  // block), packed from the low bit: what zlib's deflate(Z_FINISH) of nothing writes after a
  // flush, whatever the level.
  std::string tail = {'\x03', '\x00'};
  PutLe32(&tail, crc_);
  PutLe32(&tail, static_cast<std::uint32_t>(total_ & 0xffffffffu));
  return out_(tail);
}

}  // namespace bt::exporter
