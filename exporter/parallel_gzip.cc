#include "exporter/parallel_gzip.h"

#include <zlib.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

namespace bt::exporter {
namespace {

// A raw deflate stream per thread, reset for each block.
struct Deflater {
  explicit Deflater(int level) {
    ok = deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~Deflater() {
    if (ok) deflateEnd(&z);
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  z_stream z{};
  bool ok = false;
};

struct Block {
  std::string_view input;
  std::string_view dictionary;
  std::string output;
  std::uint32_t crc = 0;
  bool ok = true;
};

void Compress(Deflater& d, Block& b) {
  if (!d.ok || deflateReset(&d.z) != Z_OK) {
    b.ok = false;
    return;
  }
  if (!b.dictionary.empty() &&
      deflateSetDictionary(&d.z, reinterpret_cast<const Bytef*>(b.dictionary.data()),
                           static_cast<uInt>(b.dictionary.size())) != Z_OK) {
    b.ok = false;
    return;
  }
  b.output.resize(deflateBound(&d.z, static_cast<uLong>(b.input.size())) + 16);
  d.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(b.input.data()));
  d.z.avail_in = static_cast<uInt>(b.input.size());
  d.z.next_out = reinterpret_cast<Bytef*>(b.output.data());
  d.z.avail_out = static_cast<uInt>(b.output.size());
  // A sync flush ends the piece on a byte boundary without a final block, so that the next
  // piece may follow it in the same stream.
  const int rc = deflate(&d.z, Z_SYNC_FLUSH);
  if (rc != Z_OK || d.z.avail_in != 0 || d.z.avail_out == 0) {
    b.ok = false;
    return;
  }
  b.output.resize(b.output.size() - d.z.avail_out);
  b.crc = static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(b.input.data()), static_cast<uInt>(b.input.size())));
}

void PutLe32(std::string* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

ParallelGzip::ParallelGzip(Output out, int level, std::size_t batch_blocks)
    : out_(std::move(out)), level_(level < 0 ? Z_DEFAULT_COMPRESSION : level) {
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
  tbb::enumerable_thread_specific<std::unique_ptr<Deflater>> deflaters;
  tbb::parallel_for(std::size_t{0}, count, [&](std::size_t i) {
    std::unique_ptr<Deflater>& d = deflaters.local();
    if (!d) d = std::make_unique<Deflater>(level_);
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
  // The final block: empty, fixed Huffman, BFINAL set (what deflate(Z_FINISH) of nothing
  // writes after a flush).
  Deflater last(level_);
  if (!last.ok) return MakeError(ErrorCode::kInternal, "gzip: deflateInit2 failed");
  char end[16];
  last.z.next_in = nullptr;
  last.z.avail_in = 0;
  last.z.next_out = reinterpret_cast<Bytef*>(end);
  last.z.avail_out = sizeof end;
  if (deflate(&last.z, Z_FINISH) != Z_STREAM_END) {
    return MakeError(ErrorCode::kInternal, "gzip: cannot end the stream");
  }
  std::string tail(end, sizeof end - last.z.avail_out);
  PutLe32(&tail, crc_);
  PutLe32(&tail, static_cast<std::uint32_t>(total_ & 0xffffffffu));
  return out_(tail);
}

}  // namespace bt::exporter
