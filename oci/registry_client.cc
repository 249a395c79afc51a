#include "oci/registry_client.h"

#include <unistd.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "oci/error_quote.h"

namespace bt::oci {
namespace {

constexpr std::uint64_t kMaxTokenBytes = 1u << 20;
constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

std::string HostOf(const std::string& domain) {
  if (!domain.empty() && domain[0] == '[') return domain.substr(0, domain.find(']') + 1);
  return domain.substr(0, domain.rfind(':') == std::string::npos ? domain.size() : domain.rfind(':'));
}

bool IsLoopback(const std::string& domain) {
  const std::string host = HostOf(domain);
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "[::1]";
}

std::string RegistryHost(const std::string& domain) {
  return domain == "docker.io" ? "registry-1.docker.io" : domain;
}

std::string UrlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

bool Retryable(const Result<HttpResponse>& r) {
  if (!r) return r.error().code == ErrorCode::kUnavailable;
  return r->status == 408 || r->status == 429 || r->status >= 500;
}

// "scheme://host[:port]" of an absolute URL, lowercased ("" when it is not one).
std::string OriginOf(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "";
  const std::size_t host_end = url.find_first_of("/?#", scheme_end + 3);
  std::string origin(url.substr(0, host_end));
  for (char& c : origin) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return origin;
}

// The first byte of a "bytes FIRST-LAST/TOTAL" Content-Range; nullopt when it is not one.
std::optional<std::uint64_t> ContentRangeStart(std::string_view value) {
  if (value.substr(0, 6) != "bytes ") return std::nullopt;
  value.remove_prefix(6);
  std::uint64_t first = 0;
  std::size_t i = 0;
  for (; i < value.size() && i < 20 && value[i] >= '0' && value[i] <= '9'; ++i) {
    first = first * 10 + static_cast<std::uint64_t>(value[i] - '0');
  }
  if (i == 0 || i >= value.size() || value[i] != '-') return std::nullopt;
  return first;
}

std::string StatusText(const Reference& ref, const std::string& what, long status) {
  return ref.FamiliarString() + ": " + what + ": the registry answered HTTP " + std::to_string(status);
}

}  // namespace

std::optional<AuthChallenge> ParseAuthChallenge(std::string_view header) {
  AuthChallenge c;
  std::size_t i = 0;
  while (i < header.size() && header[i] == ' ') ++i;
  const std::size_t space = header.find(' ', i);
  if (space == std::string_view::npos) return std::nullopt;
  for (char ch : header.substr(i, space - i)) c.scheme.push_back(static_cast<char>(std::tolower(ch)));
  i = space + 1;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ',')) ++i;
    const std::size_t eq = header.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key(header.substr(i, eq - i));
    for (char& ch : key) ch = static_cast<char>(std::tolower(ch));
    i = eq + 1;
    std::string value;
    if (i < header.size() && header[i] == '"') {
      ++i;
      while (i < header.size() && header[i] != '"') {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        value.push_back(header[i++]);
      }
      if (i >= header.size()) return std::nullopt;  // an unterminated quoted string
      ++i;  // the closing quote
    } else {
      while (i < header.size() && header[i] != ',') value.push_back(header[i++]);
    }
    c.params[key] = value;
  }
  return c;
}

std::string RegistryClient::CaFile(const std::string& domain) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = ca_files_.find(domain); it != ca_files_.end()) return it->second;
  std::string found;
  for (const std::string& dir : options_.certs_dirs) {
    const std::string path = dir + "/" + domain + "/ca.crt";
    if (::access(path.c_str(), R_OK) == 0) {
      found = path;
      break;
    }
  }
  ca_files_[domain] = found;
  return found;
}

Result<std::string> RegistryClient::BaseUrl(const std::string& domain) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = base_urls_.find(domain); it != base_urls_.end()) return it->second;
  }
  const std::string host = RegistryHost(domain);
  std::string base = "https://" + host;
  bool verify = true;
  if (options_.insecure_hosts.count(domain) || IsLoopback(domain)) {
    // As docker does for insecure registries: TLS first, verified; then TLS unverified; then
    // plain HTTP.
    auto speaks_tls = [&](bool check) {
      HttpRequest probe;
      probe.url = "https://" + host + "/v2/";
      probe.timeouts.connect = std::chrono::seconds(5);
      probe.ca_file = CaFile(domain);
      probe.verify_tls = check;
      return http_.Fetch(probe, 64 * 1024).has_value();
    };
    if (!speaks_tls(true)) {
      if (speaks_tls(false)) {
        verify = false;
        if (options_.warn) {
          options_.warn(domain + ": its TLS certificate does not verify; going on without "
                        "verifying it, as for any " +
                        std::string(IsLoopback(domain) ? "loopback" : "insecure") + " registry");
        }
      } else {
        base = "http://" + host;
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  base_urls_[domain] = base;
  if (!verify) unverified_.insert(domain);
  return base;
}

Result<std::string> RegistryClient::Authorize(const Reference& ref, const std::string& challenge,
                                              const std::string& scope) {
  const std::optional<AuthChallenge> c = ParseAuthChallenge(challenge);
  std::optional<Credentials> login;
  if (options_.credentials) {
    BT_ASSIGN_OR_RETURN(login, options_.credentials(ref.domain));
  }
  BT_ASSIGN_OR_RETURN(const std::string base, BaseUrl(ref.domain));
  const bool registry_tls = base.rfind("https://", 0) == 0;
  const bool named_insecure = options_.insecure_hosts.count(ref.domain) > 0;
  const std::string basic = login ? "Basic " + Base64Encode(login->username + ":" + login->secret) : "";
  if (c && c->scheme == "basic") {
    if (!login) {
      return MakeError(ErrorCode::kPermissionDenied,
                       ref.domain + " asks for a login: buildtool login " + ref.domain);
    }
    // A loopback registry may be spoken to over plain HTTP, but a password crosses it only
    // when the user named the registry insecure.
    if (!registry_tls && !named_insecure) {
      return MakeError(ErrorCode::kPermissionDenied,
                       ref.domain + " asks for a login over plain HTTP: buildtool sends it only "
                       "over TLS, or with --insecure-registry " + ref.domain);
    }
    return basic;
  }
  if (c && c->scheme == "bearer" && !c->params.count("realm")) {
    return MakeError(ErrorCode::kPermissionDenied,
                     ref.domain + ": its Bearer challenge names no realm to ask for a token (" +
                         QuoteCapped(challenge, 80) + ")");
  }
  if (!c || c->scheme != "bearer") {
    return MakeError(ErrorCode::kPermissionDenied,
                     ref.domain + ": an authentication challenge buildtool cannot answer (" +
                         QuoteCapped(challenge, 80) + ")");
  }
  std::string url = c->params.at("realm");
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
    return MakeError(ErrorCode::kPermissionDenied,
                     ref.domain + ": token realm " + QuoteCapped(url) + " is not an http(s) URL");
  }
  const bool realm_tls = url.rfind("https://", 0) == 0;
  if (registry_tls && !realm_tls) {
    return MakeError(ErrorCode::kPermissionDenied,
                     ref.domain + ": its token realm " + QuoteCapped(url) +
                         " is plain HTTP while the registry speaks TLS; buildtool refuses the downgrade");
  }
  if (login && !realm_tls && !named_insecure) {
    return MakeError(ErrorCode::kPermissionDenied,
                     ref.domain + ": its token realm " + QuoteCapped(url) + " is plain HTTP; buildtool "
                     "sends the login only over TLS, or with --insecure-registry " + ref.domain);
  }
  std::string query;
  if (c->params.count("service")) query += "service=" + UrlEncode(c->params.at("service")) + "&";
  if (c->params.count("scope")) {
    query += "scope=" + UrlEncode(c->params.at("scope")) + "&";
  } else if (!ref.path.empty()) {
    query += "scope=" + UrlEncode(scope) + "&";
  }
  HttpRequest request;
  request.timeouts.low_speed_time = options_.read_timeout;
  request.timeouts.total = options_.request_deadline;
  // A redirect from the token service is not followed: the login would go where it says.
  request.max_redirects = 0;
  if (login && login->username == kIdentityTokenUser) {
    // An identity token (docker login's "identitytoken", a helper's "<token>" user) is an
    // OAuth2 refresh token: exchanged for an access token by a POST to the realm, as docker
    // and containerd do.
    request.method = "POST";
    request.url = url;
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    request.body = query + "grant_type=refresh_token&client_id=buildtool&refresh_token=" +
                   UrlEncode(login->secret);
  } else {
    if (!query.empty()) query.pop_back();
    request.url = url + (query.empty() ? "" : (url.find('?') == std::string::npos ? "?" : "&") + query);
    if (login) request.headers.emplace_back("Authorization", basic);
  }
  BT_ASSIGN_OR_RETURN(HttpResponse r, http_.Fetch(request, kMaxTokenBytes));
  if (r.status != 200) {
    return MakeError(r.status == 401 || r.status == 403 ? ErrorCode::kPermissionDenied
                                                        : ErrorCodeForStatus(r.status),
                     "token service " + QuoteCapped(c->params.at("realm")) + " answered HTTP " +
                         std::to_string(r.status) + (login ? " for the login of " + ref.domain : ""));
  }
  const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object()) {
    for (const char* key : {"token", "access_token"}) {
      if (j.contains(key) && j[key].is_string() && !j[key].get<std::string>().empty()) {
        return "Bearer " + j[key].get<std::string>();
      }
    }
  }
  return MakeError(ErrorCode::kPermissionDenied, "token service " + QuoteCapped(c->params.at("realm")) +
                                                     " answered no token");
}

Result<HttpResponse> RegistryClient::Get(const Reference& ref, const std::string& path,
                                         std::vector<std::pair<std::string, std::string>> headers,
                                         const HttpBodySink* sink, std::uint64_t max_body) {
  HttpRequest request;
  request.url = path;
  request.headers = std::move(headers);
  if (sink == nullptr) {
    request.max_body_bytes = max_body;
    return Send(ref, std::move(request), false);
  }
  // Streamed: only a 2xx body reaches the sink, and a retry only happens before any did.
  long status = 0;
  std::uint64_t delivered = 0;
  HttpBodySink guarded;
  guarded.on_head = [&](const HttpResponse& head) -> Result<void> {
    status = head.status;
    return sink->on_head ? sink->on_head(head) : Result<void>();
  };
  guarded.on_data = [&](std::string_view chunk) -> Result<void> {
    if (status < 200 || status > 299) return {};  // an error page: not the blob
    delivered += chunk.size();
    return sink->on_data(chunk);
  };
  return Send(ref, std::move(request), false, &guarded, &delivered);
}

Result<HttpResponse> RegistryClient::Send(const Reference& ref, HttpRequest request, bool push,
                                          const HttpBodySink* sink, const std::uint64_t* delivered) {
  BT_ASSIGN_OR_RETURN(const std::string base, BaseUrl(ref.domain));
  const std::string scope = "repository:" + ref.path + (push ? ":pull,push" : ":pull");
  const std::string token_key = ref.domain + " " + scope;
  if (request.url.rfind("http://", 0) != 0 && request.url.rfind("https://", 0) != 0) {
    request.url = base + request.url;
  }
  request.ca_file = CaFile(ref.domain);
  request.timeouts.low_speed_time = options_.read_timeout;
  request.timeouts.total = options_.request_deadline;
  {
    std::lock_guard<std::mutex> lock(mu_);
    request.verify_tls = !unverified_.count(ref.domain);
  }
  const std::vector<std::pair<std::string, std::string>> headers = request.headers;
  std::uint64_t sent = 0;
  auto source = request.body_source;
  if (source) {
    request.body_source = [&sent, source](char* buf, std::size_t cap) -> Result<std::size_t> {
      BT_ASSIGN_OR_RETURN(const std::size_t n, source(buf, cap));
      sent += n;
      return n;
    };
  }
  bool authenticated = false;
  for (int attempt = 0;; ++attempt) {
    request.headers = headers;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = tokens_.find(token_key); it != tokens_.end()) {
        request.headers.emplace_back("Authorization", it->second);
      }
    }
    Result<HttpResponse> r = sink != nullptr ? http_.Stream(request, *sink)
                                             : http_.Fetch(request, request.max_body_bytes.value_or(kMaxManifestBytes));
    const bool started = sent > 0 || (delivered != nullptr && *delivered > 0);
    if (r && r->status == 401 && authenticated) {
      // A fresh token or the login refused again (containerd's invalidAuthorization): asking
      // once more would only loop.
      return MakeError(ErrorCode::kPermissionDenied,
                       ref.FamiliarString() + ": authorization failed: " + ref.domain +
                           " refused the credentials it asked for" +
                           (ref.path.empty() ? std::string() : " (repository " + ref.path + ")"));
    }
    if (r && r->status == 401 && !authenticated && !started) {
      const std::optional<std::string> challenge = r->headers.Get("WWW-Authenticate");
      if (!challenge) return MakeError(ErrorCode::kPermissionDenied, StatusText(ref, request.url, 401));
      BT_ASSIGN_OR_RETURN(std::string token, Authorize(ref, *challenge, scope));
      std::lock_guard<std::mutex> lock(mu_);
      tokens_[token_key] = std::move(token);
      authenticated = true;
      continue;
    }
    if (Retryable(r) && !started && attempt + 1 < options_.attempts) {
      std::this_thread::sleep_for(RetryDelay(r, attempt));
      continue;
    }
    return r;
  }
}

std::chrono::milliseconds RegistryClient::RetryDelay(const Result<HttpResponse>& r, int attempt) const {
  std::chrono::milliseconds delay = std::chrono::milliseconds(200) * (1 << std::min(attempt, 6));
  if (r) {
    // Retry-After in seconds (RFC 9110 10.2.3); the HTTP-date form keeps the back-off.
    const std::string after = r->headers.Get("Retry-After").value_or("");
    if (!after.empty() && after.size() <= 9 &&
        after.find_first_not_of("0123456789") == std::string::npos) {
      delay = std::max(delay, std::chrono::milliseconds(std::chrono::seconds(std::stoll(after))));
    }
  }
  return std::min<std::chrono::milliseconds>(delay, options_.max_retry_after);
}

Result<FetchedManifest> RegistryClient::FetchManifest(const Reference& ref,
                                                      const std::string& tag_or_digest,
                                                      const std::optional<Digest>& expected) {
  BT_ASSIGN_OR_RETURN(HttpResponse r, Get(ref, "/v2/" + ref.path + "/manifests/" + tag_or_digest,
                                          {{"Accept", std::string(kManifestAccept)}}, nullptr,
                                          kMaxManifestBytes));
  if (r.status != 200) {
    ErrorCode code = ErrorCodeForStatus(r.status);
    std::string message = StatusText(ref, "manifest " + tag_or_digest, r.status);
    if (r.status == 404) message = ref.FamiliarString() + ": manifest " + tag_or_digest + " not found";
    if (r.status == 401 || r.status == 403) code = ErrorCode::kPermissionDenied;
    return MakeError(code, message);
  }
  FetchedManifest m;
  m.bytes = std::move(r.body);
  m.digest = Digest::Of(m.bytes);
  if (expected && m.digest != *expected) {
    return MakeError(ErrorCode::kDataLoss, ref.FamiliarString() + ": the registry's manifest is " +
                                               m.digest.ToString() + ", not " + expected->ToString());
  }
  if (std::optional<std::string> said = r.headers.Get("Docker-Content-Digest"); said && !expected) {
    if (*said != m.digest.ToString()) {
      return MakeError(ErrorCode::kDataLoss, ref.FamiliarString() + ": the manifest's bytes are " +
                                                 m.digest.ToString() + ", the registry says " + *said);
    }
  }
  // What the document is: its own mediaType, else the Content-Type, else its shape. When the
  // two disagree the document is ambiguous (CVE-2021-41190) and refused.
  std::string type = r.headers.Get("Content-Type").value_or("");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  const nlohmann::json j = nlohmann::json::parse(m.bytes, nullptr, false);
  const std::string own = j.is_object() && j.contains("mediaType") && j["mediaType"].is_string()
                              ? j["mediaType"].get<std::string>()
                              : "";
  const bool known = IsIndexMediaType(type) || IsManifestMediaType(type);
  if (!own.empty() && known && own != type) {
    return MakeError(ErrorCode::kInvalidArgument,
                     ref.FamiliarString() + ": manifest " + tag_or_digest + " says it is " +
                         QuoteCapped(own) + " but was served as " + QuoteCapped(type));
  }
  if (!own.empty()) {
    type = own;
  } else if (!known) {
    type = j.is_object() && j.contains("manifests") ? std::string(media_type::kOciIndex)
                                                    : std::string(media_type::kOciManifest);
  }
  m.media_type = type;
  return m;
}

Result<FetchedManifest> RegistryClient::GetManifest(const Reference& ref) {
  if (ref.digest) return FetchManifest(ref, ref.digest->ToString(), ref.digest);
  return FetchManifest(ref, ref.tag.empty() ? "latest" : ref.tag, std::nullopt);
}

Result<FetchedManifest> RegistryClient::GetManifest(const Reference& ref, const Digest& digest) {
  return FetchManifest(ref, digest.ToString(), digest);
}

Result<void> RegistryClient::GetBlob(const Reference& ref, const Digest& digest, std::uint64_t offset,
                                     std::uint64_t size,
                                     const std::function<Result<void>(std::string_view)>& sink) {
  const std::string what = ref.FamiliarString() + ": blob " + digest.ToString();
  std::uint64_t position = offset;  // bytes the sink has
  // An interrupted download that had every byte (cut off before its commit): nothing to ask
  // for, and a Range from the end would be refused (416). The caller's digest check decides.
  if (position >= size) return {};
  for (int attempt = 0;; ++attempt) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (position > 0) headers.emplace_back("Range", "bytes=" + std::to_string(position) + "-");
    long status = 0;
    std::uint64_t skip = 0;      // of a 200's body: bytes the sink already has
    std::uint64_t received = 0;  // passed to the sink by this request
    HttpBodySink body;
    body.on_head = [&](const HttpResponse& head) -> Result<void> {
      status = head.status;
      skip = 0;
      if (status == 200) {
        skip = position;  // no Range asked, or the registry ignored it: from the start
      } else if (status == 206) {
        const std::string range = head.headers.Get("Content-Range").value_or("");
        if (ContentRangeStart(range) != position) {
          return MakeError(ErrorCode::kDataLoss, what + ": asked from byte " + std::to_string(position) +
                                                     ", the registry answered Content-Range " +
                                                     QuoteCapped(range));
        }
      }
      return {};
    };
    body.on_data = [&](std::string_view chunk) -> Result<void> {
      if (status != 200 && status != 206) return {};
      const std::uint64_t skipped = std::min<std::uint64_t>(skip, chunk.size());
      chunk.remove_prefix(static_cast<std::size_t>(skipped));
      skip -= skipped;
      if (chunk.empty()) return {};
      if (position + received + chunk.size() > size) {
        return MakeError(ErrorCode::kDataLoss,
                         what + " is longer than its " + std::to_string(size) + " bytes");
      }
      received += chunk.size();
      return sink(chunk);
    };
    Result<HttpResponse> r = Get(ref, "/v2/" + ref.path + "/blobs/" + digest.ToString(),
                                 std::move(headers), &body, 0);
    position += received;
    const bool last = attempt + 1 >= options_.attempts;
    if (r && (r->status == 200 || r->status == 206)) {
      if (position == size) return {};
      // The body ended early although the answer looked complete: ask for the rest.
      if (last) {
        return MakeError(ErrorCode::kDataLoss, what + ": the registry sent " + std::to_string(position) +
                                                   " of its " + std::to_string(size) + " bytes");
      }
    } else if (r) {
      ErrorCode code = ErrorCodeForStatus(r->status);
      if (r->status == 401 || r->status == 403) code = ErrorCode::kPermissionDenied;
      return MakeError(code, StatusText(ref, "blob " + digest.ToString(), r->status));
    } else if (r.error().code == ErrorCode::kUnavailable && position == size) {
      // Every byte is in; what broke came after them (a Content-Length that promised more).
      // The digest, checked by the sink's owner, decides whether they are the blob.
      return {};
    } else if (r.error().code != ErrorCode::kUnavailable || received == 0 || last) {
      // Send has retried a failure before any byte; one after some bytes resumes here.
      return std::move(r).error();
    }
    std::this_thread::sleep_for(RetryDelay(r, attempt));
  }
}

Result<bool> RegistryClient::HasBlob(const Reference& ref, const Digest& digest) {
  HttpRequest request;
  request.method = "HEAD";
  request.url = "/v2/" + ref.path + "/blobs/" + digest.ToString();
  BT_ASSIGN_OR_RETURN(HttpResponse r, Send(ref, std::move(request), true));
  if (r.status == 200) return true;
  if (r.status == 404) return false;
  return MakeError(r.status == 401 || r.status == 403 ? ErrorCode::kPermissionDenied
                                                      : ErrorCodeForStatus(r.status),
                   StatusText(ref, "blob " + digest.ToString(), r.status));
}

Result<bool> RegistryClient::MountBlob(const Reference& ref, const Digest& digest,
                                      const std::string& from) {
  HttpRequest request;
  request.method = "POST";
  request.url = "/v2/" + ref.path + "/blobs/uploads/?mount=" + UrlEncode(digest.ToString()) +
                "&from=" + UrlEncode(from);
  request.body = std::string();
  BT_ASSIGN_OR_RETURN(HttpResponse r, Send(ref, std::move(request), true));
  if (r.status == 201) return true;
  // 202: the registry opened an upload session instead; it expires by itself.
  if (r.status == 202) return false;
  return MakeError(r.status == 401 || r.status == 403 ? ErrorCode::kPermissionDenied
                                                      : ErrorCodeForStatus(r.status),
                   StatusText(ref, "mount " + digest.ToString() + " from " + from, r.status));
}

Result<void> RegistryClient::PutBlob(
    const Reference& ref, const Digest& digest, std::uint64_t size,
    const std::function<Result<std::size_t>(std::uint64_t, char*, std::size_t)>& read_at) {
  for (int attempt = 0;; ++attempt) {
    Result<void> done = UploadOnce(ref, digest, size, read_at);
    if (done || done.error().code != ErrorCode::kUnavailable || attempt + 1 >= options_.attempts) {
      return done;
    }
    std::this_thread::sleep_for(RetryDelay(Result<HttpResponse>(std::move(done).error()), attempt));
  }
}

Result<void> RegistryClient::UploadOnce(
    const Reference& ref, const Digest& digest, std::uint64_t size,
    const std::function<Result<std::size_t>(std::uint64_t, char*, std::size_t)>& read_at) {
  HttpRequest start;
  start.method = "POST";
  start.url = "/v2/" + ref.path + "/blobs/uploads/";
  start.body = std::string();
  BT_ASSIGN_OR_RETURN(HttpResponse begun, Send(ref, std::move(start), true));
  if (begun.status != 202) {
    return MakeError(begun.status == 401 || begun.status == 403 ? ErrorCode::kPermissionDenied
                                                                : ErrorCodeForStatus(begun.status),
                     StatusText(ref, "start the upload of " + digest.ToString(), begun.status) +
                         ": " + begun.body.substr(0, 200));
  }
  std::string location = begun.headers.Get("Location").value_or("");
  if (location.empty()) {
    return MakeError(ErrorCode::kUnavailable, ref.FamiliarString() + ": the registry gave no upload location");
  }
  BT_ASSIGN_OR_RETURN(const std::string base, BaseUrl(ref.domain));
  if (location[0] == '/') {
    location = base + location;
  } else if (OriginOf(location) != OriginOf(base)) {
    // The upload carries the push token and the layer: it goes to the registry and nowhere else.
    return MakeError(ErrorCode::kPermissionDenied, ref.FamiliarString() + ": upload location " +
                                                       QuoteCapped(RedactUrl(location)) + " is not on " + base);
  }
  HttpRequest put;
  put.method = "PUT";
  put.url = location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" +
            UrlEncode(digest.ToString());
  put.headers = {{"Content-Type", "application/octet-stream"}};
  std::uint64_t offset = 0;
  put.body_source = [&](char* buffer, std::size_t cap) -> Result<std::size_t> {
    BT_ASSIGN_OR_RETURN(const std::size_t n, read_at(offset, buffer, cap));
    offset += n;
    return n;
  };
  put.body_size = size;
  BT_ASSIGN_OR_RETURN(HttpResponse done, Send(ref, std::move(put), true));
  if (done.status != 201) {
    return MakeError(done.status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInvalidArgument,
                     StatusText(ref, "upload of " + digest.ToString(), done.status) + ": " +
                         done.body.substr(0, 200));
  }
  if (std::optional<std::string> said = done.headers.Get("Docker-Content-Digest");
      said && *said != digest.ToString()) {
    return MakeError(ErrorCode::kDataLoss, ref.FamiliarString() + ": uploaded " + digest.ToString() +
                                               ", the registry stored " + QuoteCapped(*said));
  }
  return {};
}

Result<void> RegistryClient::PutManifest(const Reference& ref, const std::string& bytes,
                                         const std::string& media_type) {
  HttpRequest put;
  put.method = "PUT";
  put.url = "/v2/" + ref.path + "/manifests/" +
            (ref.tag.empty() ? Digest::Of(bytes).ToString() : ref.tag);
  put.headers = {{"Content-Type", media_type}};
  put.body = bytes;
  BT_ASSIGN_OR_RETURN(HttpResponse r, Send(ref, std::move(put), true));
  if (r.status != 201) {
    return MakeError(r.status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInvalidArgument,
                     StatusText(ref, "manifest", r.status) + ": " + r.body.substr(0, 200));
  }
  const std::string digest = Digest::Of(bytes).ToString();
  if (std::optional<std::string> said = r.headers.Get("Docker-Content-Digest"); said && *said != digest) {
    return MakeError(ErrorCode::kDataLoss, ref.FamiliarString() + ": pushed manifest " + digest +
                                               ", the registry stored " + QuoteCapped(*said));
  }
  return {};
}

Result<void> RegistryClient::Ping(const std::string& domain) {
  Reference ref;
  ref.domain = domain;
  ref.path = "";
  HttpRequest request;
  request.url = "/v2/";
  BT_ASSIGN_OR_RETURN(HttpResponse r, Send(ref, std::move(request), false));
  if (r.status == 200) return {};
  return MakeError(r.status == 401 || r.status == 403 ? ErrorCode::kPermissionDenied
                                                      : ErrorCodeForStatus(r.status),
                   domain + ": the registry answered HTTP " + std::to_string(r.status) + " to the login");
}

}  // namespace bt::oci
