#include "cache/snapshot/layer_stream.h"

#include <unistd.h>

#include <cerrno>

namespace bt::cache {
namespace {

constexpr std::size_t kChunk = 256 * 1024;

}  // namespace

LayerStream::LayerStream(int fd, LayerEncoding encoding)
    : fd_(fd), encoding_(encoding), in_(kChunk), out_(kChunk) {
  if (encoding_ == LayerEncoding::kGzip) {
    // 15 + 32: a gzip (or zlib) header, detected; concatenated members are handled below.
    z_init_ = inflateInit2(&z_, 15 + 32) == Z_OK;
  } else if (encoding_ == LayerEncoding::kZstd) {
    zstd_ = ZSTD_createDCtx();
  }
}

LayerStream::~LayerStream() {
  if (z_init_) inflateEnd(&z_);
  if (zstd_ != nullptr) ZSTD_freeDCtx(zstd_);
}

Result<std::size_t> LayerStream::Fill() {
  if (in_pos_ < in_len_) return in_len_ - in_pos_;
  if (eof_) return std::size_t{0};
  for (;;) {
    const ssize_t n = ::read(fd_, in_.data(), in_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read", "layer blob", errno);
    in_pos_ = 0;
    in_len_ = static_cast<std::size_t>(n);
    if (n == 0) eof_ = true;
    return in_len_;
  }
}

Result<std::string_view> LayerStream::Next() {
  for (;;) {
    BT_ASSIGN_OR_RETURN(const std::size_t available, Fill());
    if (encoding_ == LayerEncoding::kPlain) {
      if (available == 0) return std::string_view();
      const std::string_view chunk(in_.data() + in_pos_, available);
      in_pos_ = in_len_;
      hash_.Update(chunk);
      total_ += chunk.size();
      return chunk;
    }
    if (available == 0) {
      if (!done_) return MakeError(ErrorCode::kDataLoss, "layer blob: the compressed stream is cut short");
      return std::string_view();
    }
    std::size_t produced = 0;
    if (encoding_ == LayerEncoding::kGzip) {
      if (!z_init_) return MakeError(ErrorCode::kInternal, "gzip: inflateInit2 failed");
      if (done_) {
        // Another member after the end of one (gzip allows concatenation): start it afresh.
        if (inflateReset(&z_) != Z_OK) return MakeError(ErrorCode::kInternal, "gzip: inflateReset");
        done_ = false;
      }
      z_.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
      z_.avail_in = static_cast<uInt>(available);
      z_.next_out = reinterpret_cast<Bytef*>(out_.data());
      z_.avail_out = static_cast<uInt>(out_.size());
      const int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        return MakeError(ErrorCode::kDataLoss, "layer blob: bad gzip data");
      }
      in_pos_ += available - z_.avail_in;
      produced = out_.size() - z_.avail_out;
      if (rc == Z_STREAM_END) done_ = true;
    } else {
      if (zstd_ == nullptr) return MakeError(ErrorCode::kInternal, "zstd: cannot allocate a context");
      ZSTD_inBuffer in{in_.data() + in_pos_, available, 0};
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      const std::size_t rc = ZSTD_decompressStream(zstd_, &out, &in);
      if (ZSTD_isError(rc)) return MakeError(ErrorCode::kDataLoss, "layer blob: bad zstd data");
      in_pos_ += in.pos;
      produced = out.pos;
      done_ = rc == 0;
    }
    if (produced > 0) {
      const std::string_view chunk(out_.data(), produced);
      hash_.Update(chunk);
      total_ += produced;
      return chunk;
    }
  }
}

Result<oci::Digest> LayerStream::Finish() {
  for (;;) {
    BT_ASSIGN_OR_RETURN(const std::string_view chunk, Next());
    if (chunk.empty()) break;
  }
  return hash_.Finish();
}

}  // namespace bt::cache
