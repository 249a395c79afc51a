// HttpClient: the one HTTP(S) client of buildtool (libcurl underneath), shared by the registry
// client and ADD <url>. A request is a plain struct; the answer's body is streamed to a
// caller's sink as it arrives (a layer is never held in memory) or, for small JSON answers,
// collected into a string under a size cap. Only http and https are spoken, also after
// redirects; TLS peers are verified unless a request says otherwise (verify_tls); the proxy environment is honoured (libcurl reads
// http_proxy, https_proxy, no_proxy). An HttpClient is thread-safe: any number of threads may
// run requests on one client at once; it keeps a few idle libcurl handles so that connections
// and TLS sessions are reused.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace bt::oci {

// Response header fields in the order they came. Names compare case-insensitively (RFC 9110
// 5.1); a field sent several times keeps every value.
class HttpHeaders {
 public:
  void Add(std::string name, std::string value);
  // The first value of `name`; nullopt when absent.
  std::optional<std::string> Get(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string> GetAll(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct HttpTimeouts {
  std::chrono::milliseconds connect{30'000};
  // A transfer slower than low_speed_bytes per second for low_speed_time is abandoned; this is
  // the stall detector (a server that stops sending without closing the connection).
  std::uint32_t low_speed_bytes = 1;
  std::chrono::seconds low_speed_time{60};
  // The whole request, redirects included; zero: no limit (a large layer may take long).
  std::chrono::milliseconds total{0};
};

// What the answer's Content-Encoding may be. Go's http.Transport, which BuildKit's ADD uses,
// asks for gzip and hands out the decoded bytes; a registry blob must arrive as stored, since
// its digest is over the raw bytes.
enum class ContentDecoding {
  kNone,  // no Accept-Encoding; bytes are delivered exactly as received
  kGzip,  // "Accept-Encoding: gzip"; a gzip-encoded answer is decoded before the sink
};

inline constexpr int kDefaultMaxRedirects = 10;  // SECURITY.md decision 7

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // http:// or https:// only
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> body;           // sent as is, with its length
  // A body too big to hold (a layer to upload): read in pieces as it is sent, exactly
  // `body_size` bytes; each call fills the buffer with up to `cap` bytes and returns how many
  // (0 only at the end). Only with method PUT, and not with `body`.
  std::function<Result<std::size_t>(char* buffer, std::size_t cap)> body_source;
  std::uint64_t body_size = 0;
  // A PEM bundle to trust for this request instead of the client's (a registry's own CA, from
  // certs.d); empty: the client's.
  std::string ca_file;
  // False only for a registry the user or docker's rules call insecure (a loopback one whose
  // certificate does not verify): TLS without checking the peer.
  bool verify_tls = true;
  int max_redirects = kDefaultMaxRedirects;  // 0: a 3xx answer is returned, not followed
  HttpTimeouts timeouts;
  ContentDecoding decoding = ContentDecoding::kNone;
  // Bytes of body accepted; more is an error (kFailedPrecondition). nullopt: no cap.
  std::optional<std::uint64_t> max_body_bytes;
  // Polled during the transfer (at least once a second, and per received chunk); returning
  // true abandons it with kCancelled. Empty: never canceled.
  std::function<bool()> canceled;
};

struct HttpResponse {
  long status = 0;      // of the final answer, after redirects
  HttpHeaders headers;  // of the final answer only
  std::string url;      // where the final answer came from
  std::string body;     // HttpClient::Fetch only; empty when streamed

  // Content-Length as a number; nullopt when absent or not a plain decimal.
  std::optional<std::uint64_t> content_length() const;
};

// Receives a streamed answer: on_head once, when the final answer's status and headers are in
// and before any byte of its body (also when the body is empty); then on_data per chunk. An
// error from either abandons the transfer and is what Stream returns.
struct HttpBodySink {
  std::function<Result<void>(const HttpResponse& head)> on_head;  // may be empty
  std::function<Result<void>(std::string_view chunk)> on_data;
};

struct HttpClientOptions {
  std::string user_agent;  // empty: "buildtool/<version>"
  std::string ca_file;     // a PEM bundle to trust instead of the system's; empty: system
  std::size_t max_idle_handles = 8;
};

class HttpClient {
 public:
  struct Impl;
  // Only Create can make the Key, so only Create constructs (std::make_unique needs the
  // constructor public).
  class Key {
    friend class HttpClient;
    Key() = default;
  };

  // kUnavailable when libcurl cannot be initialised.
  static Result<std::unique_ptr<HttpClient>> Create(HttpClientOptions options = {});
  HttpClient(Key, std::unique_ptr<Impl> impl);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Runs `request` and streams the final answer's body to `sink`. Any status is an answer,
  // not an error: the caller judges it (see ErrorCodeForStatus), in on_head if the body of an
  // unwanted answer must not reach on_data. Errors: kInvalidArgument for a malformed or
  // non-http(s) URL or a header with CR/LF; kUnavailable for network failures and timeouts;
  // kPermissionDenied for a redirect to another scheme or an untrusted TLS peer;
  // kFailedPrecondition for too many redirects or a body over the cap; kDataLoss for a
  // corrupt encoded body; kCancelled when request.canceled said so; or the sink's own error.
  // Messages name the method and the URL (without credentials) and libcurl's reason.
  Result<HttpResponse> Stream(const HttpRequest& request, const HttpBodySink& sink);

  // Runs `request` and collects the body into HttpResponse::body; a body over
  // `max_body_bytes` (or request.max_body_bytes, if smaller) fails with kFailedPrecondition.
  Result<HttpResponse> Fetch(const HttpRequest& request, std::uint64_t max_body_bytes);

 private:
  std::unique_ptr<Impl> impl_;
};

// The code a non-success status means for the caller: 5xx, 408 and 429 are kUnavailable
// (retry), 404 and 410 kNotFound, 401 and 403 kPermissionDenied, anything else
// kFailedPrecondition.
ErrorCode ErrorCodeForStatus(long status);

// `url` fit for an error message: the password of any user-info replaced by "xxxxx" (as Go's
// url.Redacted does) and at most 1024 bytes.
std::string RedactUrl(std::string_view url);

}  // namespace bt::oci
