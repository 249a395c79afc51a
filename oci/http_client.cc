#include "oci/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <mutex>

#include "oci/curl_library.h"

namespace bt::oci {
namespace {

#ifndef BT_VERSION
#define BT_VERSION ""
#endif

// Total bytes of header fields kept per answer; libcurl bounds each line, this bounds a
// hostile server that sends lines forever.
constexpr std::size_t kMaxHeaderBytes = 1 << 20;
constexpr std::size_t kMaxUrlInMessage = 1024;
constexpr char kAllowedProtocols[] = "http,https";

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// An RFC 9110 token: what a method or a header name may be.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f ||
        std::string_view("()<>@,;:\\\"/[]?={}").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool HasLineBreakOrNul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { Curl().easy_cleanup(curl); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { Curl().slist_free_all(list); }
};
using CurlList = std::unique_ptr<curl_slist, SlistDeleter>;

struct UrlDeleter {
  void operator()(CURLU* url) const { Curl().url_cleanup(url); }
};

Error RequestError(ErrorCode code, const HttpRequest& request, std::string_view why) {
  return MakeError(code, request.method + " " + RedactUrl(request.url) + ": " + std::string(why));
}

// Refuses, before any connection, what libcurl must never see: a URL that does not parse, a
// scheme other than http(s), a method or header that could smuggle a second line.
Result<void> ValidateRequest(const HttpRequest& request) {
  std::unique_ptr<CURLU, UrlDeleter> url(Curl().url());
  if (!url) return MakeError(ErrorCode::kInternal, "curl_url: out of memory");
  const CURLUcode rc = Curl().url_set(url.get(), CURLUPART_URL, request.url.c_str(), 0);
  if (rc != CURLUE_OK) {
    return RequestError(ErrorCode::kInvalidArgument, request,
                        std::string("malformed URL: ") + Curl().url_strerror(rc));
  }
  char* scheme = nullptr;
  if (Curl().url_get(url.get(), CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
    return RequestError(ErrorCode::kInvalidArgument, request, "malformed URL: no scheme");
  }
  const std::string scheme_text = scheme;
  Curl().free(scheme);
  if (!EqualsIgnoreCase(scheme_text, "http") && !EqualsIgnoreCase(scheme_text, "https")) {
    return RequestError(ErrorCode::kInvalidArgument, request,
                        "unsupported URL scheme \"" + scheme_text + "\" (only http and https)");
  }
  if (!IsToken(request.method)) {
    return RequestError(ErrorCode::kInvalidArgument, request, "invalid method");
  }
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name) || HasLineBreakOrNul(value)) {
      return RequestError(ErrorCode::kInvalidArgument, request,
                          "invalid header " + std::string(name.substr(0, 100)));
    }
  }
  if (request.max_redirects < 0) {
    return RequestError(ErrorCode::kInvalidArgument, request, "negative redirect limit");
  }
  return {};
}

// One request in flight: what the libcurl callbacks read and fill.
struct Transfer {
  CURL* curl = nullptr;
  const HttpRequest* request = nullptr;
  const HttpBodySink* sink = nullptr;
  HttpResponse response;
  std::vector<std::pair<std::string, std::string>> fields;  // of the answer being read
  bool head_delivered = false;
  bool in_body = false;          // headers after the body are trailers, not kept
  std::uint64_t received = 0;    // body bytes handed to the sink
  std::size_t header_bytes = 0;  // of the current answer
  std::optional<Error> error;    // why a callback stopped the transfer
  std::string no_proxy;          // CURLOPT_NOPROXY's text, alive for the whole transfer

  bool Canceled() const { return request->canceled && request->canceled(); }

  // Fills the status and URL of the answer whose headers are complete and tells the sink.
  Result<void> DeliverHead() {
    head_delivered = true;
    for (auto& [name, value] : fields) response.headers.Add(std::move(name), std::move(value));
    fields.clear();
    long status = 0;
    Curl().easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = status;
    char* effective = nullptr;
    if (Curl().easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective) {
      response.url = effective;
    }
    if (sink->on_head) return sink->on_head(response);
    return {};
  }

  Error BodyTooLarge() const {
    return RequestError(ErrorCode::kFailedPrecondition, *request,
                        "body exceeds " + std::to_string(*request->max_body_bytes) + " bytes");
  }
};

size_t OnHeader(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  const std::string_view line(buffer, n);
  if (t->in_body) return n;
  if (line.rfind("HTTP/", 0) == 0) {
    // A new answer begins (after a 1xx, a followed redirect or a proxy's CONNECT reply):
    // only the final answer's fields are the response's.
    t->fields.clear();
    t->header_bytes = 0;
    return n;
  }
  t->header_bytes += n;
  if (t->header_bytes > kMaxHeaderBytes) {
    t->error =
        RequestError(ErrorCode::kFailedPrecondition, *t->request,
                     "response headers exceed " + std::to_string(kMaxHeaderBytes) + " bytes");
    return 0;
  }
  const std::string_view trimmed = TrimOws(line);
  if (trimmed.empty()) return n;
  try {
    if (line.front() == ' ' || line.front() == '\t') {
      // An obsolete folded continuation line (RFC 9112 5.2): part of the previous value.
      if (!t->fields.empty()) {
        t->fields.back().second += " ";
        t->fields.back().second += trimmed;
      }
      return n;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) return n;  // malformed
    t->fields.emplace_back(std::string(line.substr(0, colon)),
                           std::string(TrimOws(line.substr(colon + 1))));
  } catch (...) {
    t->error = RequestError(ErrorCode::kInternal, *t->request, "out of memory reading headers");
    return 0;
  }
  return n;
}

size_t OnBody(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  t->in_body = true;
  try {
    if (!t->head_delivered) {
      Result<void> head = t->DeliverHead();
      if (!head) {
        t->error = std::move(head).error();
        return 0;
      }
    }
    if (t->Canceled()) {
      t->error = RequestError(ErrorCode::kCancelled, *t->request, "canceled");
      return 0;
    }
    if (t->request->max_body_bytes && t->received + n > *t->request->max_body_bytes) {
      t->error = t->BodyTooLarge();
      return 0;
    }
    t->received += n;
    Result<void> sunk = t->sink->on_data(std::string_view(buffer, n));
    if (!sunk) {
      t->error = std::move(sunk).error();
      return 0;
    }
  } catch (...) {
    t->error = RequestError(ErrorCode::kInternal, *t->request, "exception in body sink");
    return 0;
  }
  return n;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  Result<std::size_t> n = t->request->body_source(buffer, size * count);
  if (!n) {
    t->error = std::move(n).error();
    return CURL_READFUNC_ABORT;
  }
  return *n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  bool canceled = false;
  try {
    canceled = t->Canceled();
  } catch (...) {
    canceled = true;
  }
  if (canceled && !t->error)
    t->error = RequestError(ErrorCode::kCancelled, *t->request, "canceled");
  return canceled ? 1 : 0;
}

// What a failed curl_easy_perform means for the caller (STYLE.md 2.4: by what it should do).
ErrorCode CodeForCurl(CURLcode code) {
  switch (code) {
    case CURLE_URL_MALFORMAT:
      return ErrorCode::kInvalidArgument;
    case CURLE_UNSUPPORTED_PROTOCOL:  // only a redirect can get here: the URL was checked
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return ErrorCode::kPermissionDenied;
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_FILESIZE_EXCEEDED:
      return ErrorCode::kFailedPrecondition;
    case CURLE_BAD_CONTENT_ENCODING:
      return ErrorCode::kDataLoss;
    case CURLE_ABORTED_BY_CALLBACK:
      return ErrorCode::kCancelled;
    default:
      return ErrorCode::kUnavailable;
  }
}

// The hosts never sent through a proxy: those of the environment's no_proxy, and loopback
// always, as Go's http.ProxyFromEnvironment (which BuildKit uses) never proxies localhost or a
// loopback address. Setting CURLOPT_NOPROXY replaces libcurl's own reading of no_proxy.
std::string NoProxyList() {
  const char* env = std::getenv("no_proxy");
  if (env == nullptr || env[0] == '\0') env = std::getenv("NO_PROXY");
  const std::string configured = env == nullptr ? "" : env;
  if (configured == "*") return configured;  // libcurl honours "*" only on its own
  return configured + (configured.empty() ? "" : ",") + "localhost,127.0.0.0/8,::1";
}

std::string DefaultUserAgent() {
  const std::string_view version = BT_VERSION;
  return "buildtool/" + std::string(version.empty() ? "dev" : version);
}

}  // namespace

void HttpHeaders::Add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> HttpHeaders::Get(std::string_view name) const {
  for (const auto& [n, v] : fields_) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return std::nullopt;
}

std::vector<std::string> HttpHeaders::GetAll(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [n, v] : fields_) {
    if (EqualsIgnoreCase(n, name)) values.push_back(v);
  }
  return values;
}

std::optional<std::uint64_t> HttpResponse::content_length() const {
  const std::optional<std::string> text = headers.Get("Content-Length");
  if (!text || text->empty() || text->size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : *text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

// Idle handles are reused: curl_easy_reset drops every option but keeps the handle's
// connection, DNS and TLS-session caches, so consecutive requests to a registry share them.
struct HttpClient::Impl {
  HttpClientOptions options;
  std::mutex mu;
  std::vector<CurlHandle> idle;  // guarded by mu

  CurlHandle Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!idle.empty()) {
        CurlHandle handle = std::move(idle.back());
        idle.pop_back();
        Curl().easy_reset(handle.get());
        return handle;
      }
    }
    return CurlHandle(Curl().easy_init());
  }

  void Release(CurlHandle handle) {
    std::lock_guard<std::mutex> lock(mu);
    if (idle.size() < options.max_idle_handles) idle.push_back(std::move(handle));
  }

  // Sets every option of one request on a fresh or reset handle.
  Result<CurlList> Configure(CURL* curl, const HttpRequest& request, Transfer& transfer,
                             char* error_buffer) {
    auto ok = [](CURLcode code) { return code == CURLE_OK; };
    bool set = true;
    set &= ok(Curl().easy_setopt(curl, CURLOPT_URL, request.url.c_str()));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_PROTOCOLS_STR, kAllowedProtocols));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, kAllowedProtocols));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_NOSIGNAL, 1L));  // threads: no SIGALRM for DNS
    set &= ok(Curl().easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_USERAGENT, options.user_agent.c_str()));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, request.verify_tls ? 1L : 0L));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, request.verify_tls ? 2L : 0L));
    if (!request.ca_file.empty()) {
      set &= ok(Curl().easy_setopt(curl, CURLOPT_CAINFO, request.ca_file.c_str()));
    } else if (!options.ca_file.empty()) {
      set &= ok(Curl().easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str()));
    }
    set &= ok(Curl().easy_setopt(curl, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L));
    transfer.no_proxy = NoProxyList();
    set &= ok(Curl().easy_setopt(curl, CURLOPT_NOPROXY, transfer.no_proxy.c_str()));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_FOLLOWLOCATION, request.max_redirects > 0 ? 1L : 0L));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_MAXREDIRS, static_cast<long>(request.max_redirects)));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                               static_cast<long>(request.timeouts.connect.count())));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT,
                               static_cast<long>(request.timeouts.low_speed_bytes)));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                               static_cast<long>(request.timeouts.low_speed_time.count())));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                               static_cast<long>(request.timeouts.total.count())));
    if (request.decoding == ContentDecoding::kGzip) {
      set &= ok(Curl().easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip"));
    } else {
      set &= ok(Curl().easy_setopt(curl, CURLOPT_HTTP_CONTENT_DECODING, 0L));
    }
    if (request.max_body_bytes) {
      // Refuses up front an answer whose Content-Length is over the cap; OnBody counts the rest.
      set &= ok(
          Curl().easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                           static_cast<curl_off_t>(std::min<std::uint64_t>(
                               *request.max_body_bytes, std::numeric_limits<curl_off_t>::max()))));
    }

    if (request.body_source) {
      if (request.method != "PUT" || request.body) {
        return RequestError(ErrorCode::kInvalidArgument, request,
                            "a streamed body goes with PUT and without another body");
      }
      set &= ok(Curl().easy_setopt(curl, CURLOPT_UPLOAD, 1L));
      set &= ok(Curl().easy_setopt(curl, CURLOPT_READFUNCTION, OnRead));
      set &= ok(Curl().easy_setopt(curl, CURLOPT_READDATA, &transfer));
      set &= ok(Curl().easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                                   static_cast<curl_off_t>(request.body_size)));
    } else if (request.method == "GET" && !request.body) {
      set &= ok(Curl().easy_setopt(curl, CURLOPT_HTTPGET, 1L));
    } else if (request.method == "HEAD") {
      set &= ok(Curl().easy_setopt(curl, CURLOPT_NOBODY, 1L));
    } else {
      if (request.body) {
        set &= ok(Curl().easy_setopt(curl, CURLOPT_POSTFIELDS, request.body->data()));
        set &= ok(Curl().easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                                   static_cast<curl_off_t>(request.body->size())));
      }
      if (request.method != "POST" || !request.body) {
        set &= ok(Curl().easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str()));
      }
    }

    CurlList headers;
    auto append = [&](const std::string& line) {
      curl_slist* next = Curl().slist_append(headers.get(), line.c_str());
      if (next == nullptr) return false;
      headers.release();
      headers.reset(next);
      return true;
    };
    for (const auto& [name, value] : request.headers) {
      // "Name;" is libcurl's way to send a header with an empty value.
      set &= append(value.empty() ? name + ";" : name + ": " + value);
    }
    // No "Expect: 100-continue" round trip before a body; registries answer at once.
    if (request.body || request.body_source) set &= append("Expect:");
    set &= ok(Curl().easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get()));

    set &= ok(Curl().easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_HEADERDATA, &transfer));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_WRITEDATA, &transfer));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_NOPROGRESS, 0L));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress));
    set &= ok(Curl().easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer));
    if (!set) return RequestError(ErrorCode::kInternal, request, "libcurl refused an option");
    return headers;
  }
};

Result<std::unique_ptr<HttpClient>> HttpClient::Create(HttpClientOptions options) {
  if (options.user_agent.empty()) options.user_agent = DefaultUserAgent();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  return std::make_unique<HttpClient>(Key(), std::move(impl));
}

HttpClient::HttpClient(Key, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::Stream(const HttpRequest& request, const HttpBodySink& sink) {
  BT_TRY(LoadLibcurl());
  BT_TRY(ValidateRequest(request));
  CurlHandle handle = impl_->Acquire();
  if (!handle) return RequestError(ErrorCode::kInternal, request, "curl_easy_init failed");

  Transfer transfer;
  transfer.curl = handle.get();
  transfer.request = &request;
  transfer.sink = &sink;
  char error_buffer[CURL_ERROR_SIZE] = {};
  BT_ASSIGN_OR_RETURN(CurlList headers,
                      impl_->Configure(handle.get(), request, transfer, error_buffer));
  const CURLcode code = Curl().easy_perform(handle.get());
  if (code == CURLE_OK && !transfer.error && !transfer.head_delivered) {
    // An empty body (or HEAD): the sink still hears about the answer.
    Result<void> head = transfer.DeliverHead();
    if (!head) transfer.error = std::move(head).error();
  }
  // Options point into this frame (headers, buffers, transfer): drop them before reuse.
  Curl().easy_reset(handle.get());
  impl_->Release(std::move(handle));

  if (transfer.error) return Unexpected(std::move(*transfer.error));
  if (code == CURLE_FILESIZE_EXCEEDED && request.max_body_bytes) return transfer.BodyTooLarge();
  if (code != CURLE_OK) {
    std::string why = error_buffer[0] != '\0' ? error_buffer : Curl().easy_strerror(code);
    if (code == CURLE_UNSUPPORTED_PROTOCOL) {
      why = "redirect to a scheme other than http or https refused (" + why + ")";
    }
    return RequestError(CodeForCurl(code), request, why);
  }
  return std::move(transfer.response);
}

Result<HttpResponse> HttpClient::Fetch(const HttpRequest& request, std::uint64_t max_body_bytes) {
  HttpRequest capped = request;
  capped.max_body_bytes = std::min(max_body_bytes, request.max_body_bytes.value_or(max_body_bytes));
  std::string body;
  HttpBodySink sink;
  sink.on_data = [&body](std::string_view chunk) -> Result<void> {
    body.append(chunk);
    return {};
  };
  BT_ASSIGN_OR_RETURN(HttpResponse response, Stream(capped, sink));
  response.body = std::move(body);
  return response;
}

ErrorCode ErrorCodeForStatus(long status) {
  if (status >= 500 || status == 408 || status == 429) return ErrorCode::kUnavailable;
  if (status == 404 || status == 410) return ErrorCode::kNotFound;
  if (status == 401 || status == 403) return ErrorCode::kPermissionDenied;
  return ErrorCode::kFailedPrecondition;
}

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  const std::size_t scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    const std::size_t authority = scheme_end + 3;
    const std::size_t authority_end = std::min(out.find_first_of("/?#", authority), out.size());
    const std::size_t at = out.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
    if (at != std::string::npos && at >= authority) {
      const std::size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "xxxxx");
    }
  }
  if (out.size() > kMaxUrlInMessage) {
    out.resize(kMaxUrlInMessage);
    out += "...";
  }
  return out;
}

}  // namespace bt::oci
