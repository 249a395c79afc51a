#include "exporter/layer_blob.h"

#include <zlib.h>
#include <zstd.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <algorithm>
#include <memory>
#include <thread>

#include "cache/snapshot/layer_memo.h"
#include "cache/snapshot/layer_stream.h"
#include "base/unique_fd.h"
#include "exporter/parallel_gzip.h"
#include "exporter/tree_tar.h"

namespace bt::exporter {
namespace {

constexpr std::size_t kOutChunk = 256 * 1024;

std::string CompressionName(oci::LayerCompression c) {
  switch (c) {
    case oci::LayerCompression::kUncompressed: return "uncompressed";
    case oci::LayerCompression::kGzip: return "gzip";
    case oci::LayerCompression::kZstd: return "zstd";
  }
  return "unknown";
}

// The memo of a snapshot's blob for one compression (and clamp, which changes the bytes).
std::string MemoName(const LayerOptions& o) {
  std::string name = "layer-" + CompressionName(o.compression);
  if (o.clamp_mtime) name += "-clamp" + std::to_string(*o.clamp_mtime);
  return name;
}

// The last stage: bytes into the content store (which hashes them for the blob digest).
class IngestSink {
 public:
  explicit IngestSink(cache::IngestWriter& writer) : writer_(writer) {}
  Result<void> Write(std::string_view bytes) {
    size_ += bytes.size();
    return writer_.Write(bytes);
  }
  std::uint64_t size() const { return size_; }

 private:
  cache::IngestWriter& writer_;
  std::uint64_t size_ = 0;
};

// The compressor between the tar and the store; Finish() flushes what it holds.
class Compressor {
 public:
  virtual ~Compressor() = default;
  virtual Result<void> Write(std::string_view bytes) = 0;
  virtual Result<void> Finish() = 0;
};

class PlainCompressor : public Compressor {
 public:
  explicit PlainCompressor(IngestSink& out) : out_(out) {}
  Result<void> Write(std::string_view bytes) override { return out_.Write(bytes); }
  Result<void> Finish() override { return {}; }

 private:
  IngestSink& out_;
};

// gzip on every core (ParallelGzip); the stream is the same whatever the number of cores.
class ParallelGzipCompressor : public Compressor {
 public:
  ParallelGzipCompressor(IngestSink& out, int level)
      : gzip_([&out](std::string_view bytes) { return out.Write(bytes); }, level) {}
  Result<void> Write(std::string_view bytes) override { return gzip_.Write(bytes); }
  Result<void> Finish() override { return gzip_.Finish(); }

 private:
  ParallelGzip gzip_;
};

class ZstdCompressor : public Compressor {
 public:
  ZstdCompressor(IngestSink& out, int level)
      : out_(out), ctx_(ZSTD_createCCtx(), &ZSTD_freeCCtx), buffer_(ZSTD_CStreamOutSize()) {
    if (ctx_) {
      ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_compressionLevel, level < 0 ? 3 : level);
      // Worker threads: any count of one or more gives the same bytes, so every machine
      // writes the same blob.
      ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_nbWorkers,
                             static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    }
  }
  Result<void> Write(std::string_view bytes) override { return Run(bytes, ZSTD_e_continue); }
  Result<void> Finish() override { return Run({}, ZSTD_e_end); }

 private:
  Result<void> Run(std::string_view bytes, ZSTD_EndDirective mode) {
    if (!ctx_) return MakeError(ErrorCode::kInternal, "zstd: cannot allocate a context");
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    for (;;) {
      ZSTD_outBuffer out{buffer_.data(), buffer_.size(), 0};
      const std::size_t left = ZSTD_compressStream2(ctx_.get(), &out, &in, mode);
      if (ZSTD_isError(left)) {
        return MakeError(ErrorCode::kInternal, std::string("zstd: ") + ZSTD_getErrorName(left));
      }
      if (out.pos > 0) BT_TRY(out_.Write(std::string_view(buffer_.data(), out.pos)));
      if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size) break;
    }
    return {};
  }

  IngestSink& out_;
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> ctx_;
  std::vector<char> buffer_;
};

// The first stage: the tar stream, hashed for the diffID on its way to the compressor.
class DiffIdSink : public TarSink {
 public:
  explicit DiffIdSink(Compressor& next) : next_(next) {}
  Result<void> Write(std::string_view bytes) override {
    hasher_.Update(bytes);
    return next_.Write(bytes);
  }
  oci::Digest Finish() { return hasher_.Finish(); }

 private:
  Compressor& next_;
  oci::Sha256Hasher hasher_;
};

std::unique_ptr<Compressor> MakeCompressor(IngestSink& out, const LayerOptions& o) {
  switch (o.compression) {
    case oci::LayerCompression::kUncompressed: return std::make_unique<PlainCompressor>(out);
    case oci::LayerCompression::kGzip: return std::make_unique<ParallelGzipCompressor>(out, o.level);
    case oci::LayerCompression::kZstd: return std::make_unique<ZstdCompressor>(out, o.level);
  }
  return nullptr;
}

// The uncompressed tar of a stored layer blob, into `out` (cache::LayerStream decodes it);
// returns 1 (the entries are not counted: the origin memo says whether the layer is empty).
Result<std::uint64_t> DecompressBlob(const cache::ContentStore& content, const cache::LayerMemo& m,
                                     TarSink& out) {
  const std::optional<oci::LayerCompression> kind = oci::LayerCompressionOf(m.media_type);
  if (!kind) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "layer " + m.digest.ToString() + ": unknown media type " + m.media_type);
  }
  BT_ASSIGN_OR_RETURN(UniqueFd fd, content.Open(m.digest));
  cache::LayerStream stream(fd.get(), *kind == oci::LayerCompression::kGzip   ? cache::LayerEncoding::kGzip
                                      : *kind == oci::LayerCompression::kZstd ? cache::LayerEncoding::kZstd
                                                                              : cache::LayerEncoding::kPlain);
  for (;;) {
    BT_ASSIGN_OR_RETURN(const std::string_view chunk, stream.Next());
    if (chunk.empty()) break;
    BT_TRY(out.Write(chunk));
  }
  return std::uint64_t{1};
}

}  // namespace

Result<LayerBlob> ExportLayer(cache::CacheRoot& root, const std::string& snapshot_id,
                              const LayerOptions& options) {
  cache::SnapshotStore& store = root.snapshots();
  const std::string memo_path = cache::LayerMemoPath(store, snapshot_id, MemoName(options));
  auto from_memo = [&](const cache::LayerMemo& m) {
    LayerBlob blob;
    blob.digest = m.digest;
    blob.size = m.size;
    blob.diff_id = m.diff_id;
    blob.empty = m.empty;
    blob.compression = options.compression;
    return blob;
  };
  if (!options.force) {
    if (std::optional<cache::LayerMemo> known = cache::ReadLayerMemo(memo_path);
        known && root.content().Contains(known->digest)) {
      return from_memo(*known);
    }
  }
  // A snapshot unpacked from a base image's layer is that layer: the very blob when its
  // compression is the one asked for (and the files' dates are not being rewritten), else its
  // bytes recompressed — never a tar made anew, whose diffID would differ from the base's.
  std::optional<cache::LayerMemo> origin;
  if (!options.clamp_mtime) {
    origin = cache::ReadLayerMemo(cache::LayerMemoPath(store, snapshot_id, "layer-origin"));
    if (origin && !root.content().Contains(origin->digest)) origin.reset();
  }
  if (origin && !options.force) {
    const std::optional<oci::LayerCompression> kind = oci::LayerCompressionOf(origin->media_type);
    if (kind && *kind == options.compression) return from_memo(*origin);
  }

  const std::string ref = "layer-" + snapshot_id + "-" + MemoName(options);
  BT_ASSIGN_OR_RETURN(cache::IngestWriter writer, root.content().BeginIngest(ref));
  if (writer.offset() != 0) {
    // Left by a build that died while writing this layer: the tar is made again from the
    // start, so its partial bytes are of no use.
    BT_TRY(writer.Abort());
    BT_ASSIGN_OR_RETURN(writer, root.content().BeginIngest(ref));
  }
  IngestSink ingest(writer);
  std::unique_ptr<Compressor> compressor = MakeCompressor(ingest, options);
  DiffIdSink tar_sink(*compressor);
  Result<std::uint64_t> entries = std::uint64_t{0};
  if (origin) {
    entries = DecompressBlob(root.content(), *origin, tar_sink);
  } else {
    TreeTarOptions tar_options;
    tar_options.oci_whiteouts = true;
    tar_options.clamp_mtime = options.clamp_mtime;
    entries = WriteTreeToTar(store.DiffPath(snapshot_id), tar_sink, tar_options);
  }
  Result<void> finished = entries ? compressor->Finish() : Result<void>(entries.error());
  if (!finished) {
    (void)writer.Abort();
    return std::move(finished).error().Wrap("export layer of snapshot " + snapshot_id);
  }
  LayerBlob blob;
  blob.compression = options.compression;
  blob.diff_id = tar_sink.Finish();
  blob.size = static_cast<std::int64_t>(ingest.size());
  blob.empty = origin ? origin->empty : *entries == 0;
  if (origin && blob.diff_id != origin->diff_id) {
    (void)writer.Abort();
    return MakeError(ErrorCode::kDataLoss, "layer " + origin->digest.ToString() +
                                               " of snapshot " + snapshot_id +
                                               ": its uncompressed bytes are not its diffID");
  }
  BT_ASSIGN_OR_RETURN(blob.digest, writer.Commit(ingest.size(), std::nullopt));
  // Remembering is a shortcut for the next export: failing to write it costs only time.
  cache::LayerMemo memo;
  memo.digest = blob.digest;
  memo.size = blob.size;
  memo.diff_id = blob.diff_id;
  memo.empty = blob.empty;
  (void)cache::WriteLayerMemo(memo_path, memo);
  return blob;
}

}  // namespace bt::exporter
