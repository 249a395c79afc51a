#include "solver/http_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/unique_fd.h"
#include "cache/random_id.h"
#include "solver/active_snapshot.h"
#include "solver/http_file_name.h"
#include "solver/http_time.h"

namespace bt::solver {
namespace {

constexpr std::uint32_t kDefaultMode = 0600;  // source.go save(): perm := 0600
constexpr auto kProgressInterval = std::chrono::milliseconds(100);
constexpr std::size_t kCopyChunk = 8 << 20;

// What the body stream feeds: the ingest, the checksum, progress.
class Download {
 public:
  Download(const StepContext& ctx, cache::IngestWriter& ingest, std::string url)
      : ctx_(ctx), ingest_(ingest), url_(std::move(url)) {}

  // BuildKit's resolveMetadataRef: a status outside 200..399 is "invalid response status";
  // a 304 to a request without If-None-Match names the unexpected ETag.
  Result<void> OnHead(const oci::HttpResponse& head) {
    if (head.status < 200 || head.status >= 400) {
      return MakeError(oci::ErrorCodeForStatus(head.status),
                       "GET " + url_ + ": invalid response status " + std::to_string(head.status));
    }
    if (head.status == 304) {
      std::string etag = head.headers.Get("ETag").value_or("");
      if (etag.rfind("W/", 0) == 0) etag.erase(0, 2);
      return MakeError(ErrorCode::kFailedPrecondition,
                       "GET " + url_ + ": invalid not-modified ETag: " + etag);
    }
    // Go drops Content-Length when it decodes gzip; the size is then unknown.
    if (!head.headers.Get("Content-Encoding")) total_ = head.content_length().value_or(0);
    Emit(false);
    return {};
  }

  Result<void> OnData(std::string_view chunk) {
    BT_TRY(ingest_.Write(chunk));
    hasher_.Update(chunk);
    received_ += chunk.size();
    if (std::chrono::steady_clock::now() - last_emit_ >= kProgressInterval) Emit(false);
    return {};
  }

  void Emit(bool done) {
    last_emit_ = std::chrono::steady_clock::now();
    StatusEvent event;
    event.vertex = ctx_.digest;
    event.id = "downloading";
    event.current = received_;
    event.total = done ? received_ : total_;
    event.time = std::chrono::system_clock::now();
    event.done = done;
    ctx_.progress->Emit(event);
  }

  std::uint64_t received() const { return received_; }
  oci::Digest Finish() { return hasher_.Finish(); }

 private:
  const StepContext& ctx_;
  cache::IngestWriter& ingest_;
  std::string url_;           // redacted, for messages
  oci::Sha256Hasher hasher_;  // beside the ingest's own, to name the digest of a mismatch
  std::uint64_t received_ = 0;
  std::uint64_t total_ = 0;
  std::chrono::steady_clock::time_point last_emit_;
};

// Drops the ingest unless it was committed: the ref is unique to this attempt, so partial
// data left behind could never be resumed and would only hold disk until a prune.
struct IngestGuard {
  cache::IngestWriter& ingest;
  bool committed = false;
  ~IngestGuard() {
    if (!committed) (void)ingest.Abort();
  }
};

// Copies the blob into <dir>/<name> and gives it BuildKit's metadata.
Result<void> WriteFile(const StepContext& ctx, const std::string& dir, const std::string& name,
                       int blob_fd, const ir::HttpSource& source, std::int64_t mtime_ns) {
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd.valid()) return ErrnoError("open", dir, errno);
  const std::string path = dir + "/" + name;
  UniqueFd fd(::openat(dfd.get(), name.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, kDefaultMode));
  if (!fd.valid()) return ErrnoError("create", path, errno);

  bool in_kernel = true;  // copy_file_range, until the filesystems say no
  std::array<char, 1 << 16> buffer;
  while (true) {
    if (ctx.Stopping()) return MakeError(ErrorCode::kCancelled, "copy into " + path + ": canceled");
    ssize_t n;
    if (in_kernel) {
      n = ::copy_file_range(blob_fd, nullptr, fd.get(), nullptr, kCopyChunk, 0);
      if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
        in_kernel = false;
        continue;
      }
      if (n < 0) return ErrnoError("copy into", path, errno);
      if (n == 0) break;
      continue;
    }
    n = ::read(blob_fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read blob for", path, errno);
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(fd.get(), buffer.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return ErrnoError("write", path, errno);
      done += w;
    }
  }

  // BuildKit chowns only when an id is not 0 (rootless keeps its own files); os.FileMode of
  // the IR's perm keeps the permission bits only. The mode is set exactly, not through the
  // umask as Go's OpenFile would, so that the result does not depend on our umask.
  if ((source.uid != 0 || source.gid != 0) && ::fchown(fd.get(), source.uid, source.gid) != 0) {
    return ErrnoError("chown", path, errno);
  }
  const std::uint32_t mode = source.mode == 0 ? kDefaultMode : source.mode;
  if (::fchmod(fd.get(), static_cast<mode_t>(mode & 0777)) != 0)
    return ErrnoError("chmod", path, errno);
  timespec times[2];
  times[0].tv_sec = static_cast<time_t>(mtime_ns / 1'000'000'000);
  times[0].tv_nsec = static_cast<long>(mtime_ns % 1'000'000'000);
  if (times[0].tv_nsec < 0) {
    times[0].tv_sec -= 1;
    times[0].tv_nsec += 1'000'000'000;
  }
  times[1] = times[0];
  if (::futimens(fd.get(), times) != 0) return ErrnoError("set times of", path, errno);
  // The snapshot is trusted once committed: its one file must be on disk by then.
  if (::fsync(fd.get()) != 0) return ErrnoError("fsync", path, errno);
  if (::fsync(dfd.get()) != 0) return ErrnoError("fsync", dir, errno);
  return {};
}

}  // namespace

Result<std::vector<StepOutput>> FetchHttpSource(const StepContext& ctx,
                                                const ir::HttpSource& source,
                                                oci::HttpClient& client,
                                                const HttpSourceOptions& options) {
  const std::string url = oci::RedactUrl(source.url);
  if (ctx.Stopping()) return MakeError(ErrorCode::kCancelled, "GET " + url + ": canceled");

  // A fresh ingest per attempt: an answer without a checksum may differ from one fetch to the
  // next, so partial data from another attempt is never continued.
  BT_ASSIGN_OR_RETURN(const std::string nonce, cache::RandomHexId(8));
  cache::ContentStore& store = ctx.root->content();
  BT_ASSIGN_OR_RETURN(cache::IngestWriter ingest,
                      store.BeginIngest("http " + oci::Digest::Of(source.url).hex() + " " + nonce));
  IngestGuard guard{ingest};
  Download download(ctx, ingest, url);

  oci::HttpRequest request;
  request.url = source.url;
  request.timeouts = options.timeouts;
  request.max_body_bytes = options.max_bytes;
  request.decoding = oci::ContentDecoding::kGzip;  // as Go's default transport does
  request.canceled = [&ctx] { return ctx.Stopping(); };
  oci::HttpBodySink sink;
  sink.on_head = [&download](const oci::HttpResponse& head) { return download.OnHead(head); };
  sink.on_data = [&download](std::string_view chunk) { return download.OnData(chunk); };
  BT_ASSIGN_OR_RETURN(const oci::HttpResponse response, client.Stream(request, sink));

  const oci::Digest digest = download.Finish();
  std::optional<oci::Digest> expected;
  if (!source.checksum.is_zero()) {
    expected = source.checksum;
    if (digest != source.checksum) {
      // source.go validatePinnedChecksum's words.
      return MakeError(ErrorCode::kDataLoss, "digest mismatch for " + url + ": " +
                                                 digest.ToString() +
                                                 " (expected: " + source.checksum.ToString() + ")");
    }
  }
  // Only a filename of slashes names "/" (SafeFileName keeps filepath.Base's answer), where
  // BuildKit's OpenFile fails; refused before anything is kept.
  const std::string name = HttpSourceFileName(source.url, source.filename, &response.headers);
  if (name.find('/') != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "GET " + url + ": invalid file name \"" + name + "\"");
  }
  guard.committed = true;  // Commit finishes the ingest whatever it returns
  BT_ASSIGN_OR_RETURN(const oci::Digest blob, ingest.Commit(download.received(), expected));
  std::int64_t mtime_ns = 0;  // source.go: time.Unix(0, 0) without a usable Last-Modified
  if (std::optional<std::string> modified = response.headers.Get("Last-Modified")) {
    mtime_ns = ParseHttpTime(*modified).value_or(0);
  }

  BT_ASSIGN_OR_RETURN(UniqueFd blob_fd, store.Open(blob));
  BT_ASSIGN_OR_RETURN(ActiveSnapshot active, ActiveSnapshot::Prepare(ctx, std::nullopt, cache::PrepareFor::kDiff));
  BT_TRY(WriteFile(ctx, ctx.root->snapshots().DiffPath(active.id()), name, blob_fd.get(), source,
                   mtime_ns));
  BT_ASSIGN_OR_RETURN(StepOutput output, active.Commit());
  // BuildKit's http source keys a download by its file name, content and modification time.
  output.content = oci::Digest::Of("buildtool http content v1\n" + name + "\n" + blob.ToString() +
                                   "\n" + std::to_string(mtime_ns));
  download.Emit(true);
  return std::vector<StepOutput>{output};
}

}  // namespace bt::solver
