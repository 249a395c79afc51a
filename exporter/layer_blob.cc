#include "exporter/layer_blob.h"

#include <zlib.h>
#include <zstd.h>

#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
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

// The file that remembers a snapshot's blob for one compression (and clamp, which changes the
// bytes).
std::string MemoPath(cache::CacheRoot& root, const std::string& id, const LayerOptions& o) {
  std::string diff = root.snapshots().DiffPath(id);
  std::string dir = diff.substr(0, diff.size() - std::string("/diff").size());
  std::string name = "layer-" + CompressionName(o.compression);
  if (o.clamp_mtime) name += "-clamp" + std::to_string(*o.clamp_mtime);
  return dir + "/" + name;
}

std::optional<LayerBlob> ReadMemo(const std::string& path, oci::LayerCompression compression) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  LayerBlob blob;
  blob.compression = compression;
  try {
    Result<oci::Digest> digest = oci::Digest::Parse(j.at("digest").get<std::string>());
    Result<oci::Digest> diff_id = oci::Digest::Parse(j.at("diffID").get<std::string>());
    if (!digest || !diff_id) return std::nullopt;
    blob.digest = *digest;
    blob.diff_id = *diff_id;
    blob.size = j.at("size").get<std::int64_t>();
    blob.empty = j.at("empty").get<bool>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // a damaged memo is only a missed shortcut
  }
  return blob;
}

Result<void> WriteMemo(const std::string& path, const LayerBlob& blob) {
  nlohmann::ordered_json j;
  j["digest"] = blob.digest.ToString();
  j["size"] = blob.size;
  j["diffID"] = blob.diff_id.ToString();
  j["empty"] = blob.empty;
  BT_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(path, 0644));
  BT_TRY(file.Write(j.dump() + "\n"));
  return file.Commit();
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

class GzipCompressor : public Compressor {
 public:
  GzipCompressor(IngestSink& out, int level) : out_(out), buffer_(kOutChunk) {
    // windowBits 15 + 16: a gzip header and trailer around the deflate stream.
    ok_ = deflateInit2(&z_, level < 0 ? Z_DEFAULT_COMPRESSION : level, Z_DEFLATED, 15 + 16, 8,
                       Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~GzipCompressor() override {
    if (ok_) deflateEnd(&z_);
  }
  Result<void> Write(std::string_view bytes) override { return Run(bytes, Z_NO_FLUSH); }
  Result<void> Finish() override { return Run({}, Z_FINISH); }

 private:
  Result<void> Run(std::string_view bytes, int flush) {
    if (!ok_) return MakeError(ErrorCode::kInternal, "gzip: deflateInit2 failed");
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z_.avail_in = static_cast<uInt>(bytes.size());
    for (;;) {
      z_.next_out = reinterpret_cast<Bytef*>(buffer_.data());
      z_.avail_out = static_cast<uInt>(buffer_.size());
      const int rc = deflate(&z_, flush);
      if (rc == Z_STREAM_ERROR) return MakeError(ErrorCode::kInternal, "gzip: deflate failed");
      const std::size_t produced = buffer_.size() - z_.avail_out;
      if (produced > 0) BT_TRY(out_.Write(std::string_view(buffer_.data(), produced)));
      if (flush == Z_FINISH ? rc == Z_STREAM_END : z_.avail_in == 0 && z_.avail_out != 0) break;
    }
    return {};
  }

  IngestSink& out_;
  std::vector<char> buffer_;
  z_stream z_{};
  bool ok_ = false;
};

class ZstdCompressor : public Compressor {
 public:
  ZstdCompressor(IngestSink& out, int level)
      : out_(out), ctx_(ZSTD_createCCtx(), &ZSTD_freeCCtx), buffer_(ZSTD_CStreamOutSize()) {
    if (ctx_) ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_compressionLevel, level < 0 ? 3 : level);
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
    case oci::LayerCompression::kGzip: return std::make_unique<GzipCompressor>(out, o.level);
    case oci::LayerCompression::kZstd: return std::make_unique<ZstdCompressor>(out, o.level);
  }
  return nullptr;
}

}  // namespace

Result<LayerBlob> ExportLayer(cache::CacheRoot& root, const std::string& snapshot_id,
                              const LayerOptions& options) {
  const std::string memo = MemoPath(root, snapshot_id, options);
  if (!options.force) {
    if (std::optional<LayerBlob> known = ReadMemo(memo, options.compression);
        known && root.content().Contains(known->digest)) {
      return *known;
    }
  }
  const std::string ref = "layer-" + snapshot_id + "-" + CompressionName(options.compression) +
                          (options.clamp_mtime ? "-" + std::to_string(*options.clamp_mtime) : "");
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
  TreeTarOptions tar_options;
  tar_options.oci_whiteouts = true;
  tar_options.clamp_mtime = options.clamp_mtime;
  Result<std::uint64_t> entries =
      WriteTreeToTar(root.snapshots().DiffPath(snapshot_id), tar_sink, tar_options);
  Result<void> finished = entries ? compressor->Finish() : Result<void>(entries.error());
  if (!finished) {
    (void)writer.Abort();
    return std::move(finished).error().Wrap("export layer of snapshot " + snapshot_id);
  }
  LayerBlob blob;
  blob.compression = options.compression;
  blob.diff_id = tar_sink.Finish();
  blob.size = static_cast<std::int64_t>(ingest.size());
  blob.empty = *entries == 0;
  BT_ASSIGN_OR_RETURN(blob.digest, writer.Commit(ingest.size(), std::nullopt));
  // Remembering is a shortcut for the next export: failing to write it costs only time.
  (void)WriteMemo(memo, blob);
  return blob;
}

}  // namespace bt::exporter
