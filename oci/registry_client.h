// RegistryClient: the distribution-spec HTTP API as buildtool needs it — manifests by tag or
// digest and blobs streamed to a sink (pull); HEAD, streamed uploads and manifest PUTs (push)
// — with the authentication of registries: a 401 whose WWW-Authenticate says Bearer (realm,
// service, scope) is answered with a token from the realm (asked with the login when there is
// one), a Basic one with the login (credentials.h); one retry; tokens are kept per host and
// scope. docker.io is registry-1.docker.io. TLS is verified (against <certs.d>/<HOST[:PORT]>/
// ca.crt when there is one); a loopback registry (localhost, 127.0.0.0/8, ::1) or one named
// insecure may, as docker allows, use TLS whose certificate does not verify, or plain HTTP
// when it does not speak TLS at all. A login is only sent over TLS, or to a registry named
// insecure; a token realm on plain HTTP for a TLS registry is refused. Network failures and
// 408/429/5xx answers are retried (5 attempts, back-off, Retry-After honoured up to a cap); a
// blob download cut short is resumed with Range. Thread-safe: blobs go several at a time.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "base/result.h"
#include "oci/digest.h"
#include "oci/http_client.h"
#include "oci/manifest.h"
#include "oci/credentials.h"
#include "oci/reference.h"

namespace bt::oci {

struct RegistryOptions {
  std::set<std::string> insecure_hosts;  // HOST[:PORT] that may be spoken to over plain HTTP
  // The published limits of SECURITY.md (decision 7). A request is tried at most `attempts`
  // times, and a blob download resumed at most that often; a transfer that receives nothing
  // for read_timeout is abandoned; no request runs longer than request_deadline, however
  // slowly it trickles; a Retry-After above max_retry_after waits only that long.
  int attempts = 5;
  std::chrono::seconds read_timeout{60};
  std::chrono::seconds request_deadline{3600};
  std::chrono::seconds max_retry_after{10};
  // Where logins come from (credentials.h); null: anonymous only. Credentials go only to the
  // registry's own host (Basic) and to the token service it names (Bearer).
  std::function<Result<std::optional<Credentials>>(const std::string& host)> credentials;
  // Directories of per-registry CAs as docker and podman keep them: <dir>/<HOST[:PORT]>/ca.crt
  // is trusted (besides nothing else) for that registry.
  std::vector<std::string> certs_dirs = {"/etc/docker/certs.d", "/etc/containers/certs.d"};
  // Told once per registry whose TLS certificate does not verify and that is spoken to anyway
  // (a loopback or insecure one), so that the user sees it. (Plain HTTP to such a registry is
  // what it speaks, as docker allows, and is not warned about.)
  std::function<void(const std::string& message)> warn;
};

struct FetchedManifest {
  std::string bytes;
  std::string media_type;  // the answer's Content-Type, else the JSON's mediaType
  Digest digest;           // of the bytes, checked against the reference's digest when pinned
};

class RegistryClient {
 public:
  RegistryClient(HttpClient& http, RegistryOptions options = {})
      : http_(http), options_(std::move(options)) {}

  // The manifest or index `ref` names (its digest if it has one, else its tag). kNotFound
  // naming the reference for 404; kPermissionDenied for 401/403 after authenticating;
  // kDataLoss when the bytes do not match a pinned digest; kUnavailable for network trouble.
  Result<FetchedManifest> GetManifest(const Reference& ref);
  // The manifest `digest` of ref's repository (an index's child).
  Result<FetchedManifest> GetManifest(const Reference& ref, const Digest& digest);
  // Streams blob `digest` of ref's repository, `size` bytes, to `sink` from byte `offset` on
  // (0, or what an interrupted download already holds). A transfer cut short (a reset, a
  // stall, a body that ends early) is resumed with a Range request; a registry that ignores
  // Range sends the blob from the start and the bytes already held are skipped. kDataLoss for
  // more than `size` bytes, a Content-Range that does not start where asked, or a body still
  // short after every attempt. The digest is the sink's to check.
  Result<void> GetBlob(const Reference& ref, const Digest& digest, std::uint64_t offset,
                       std::uint64_t size, const std::function<Result<void>(std::string_view)>& sink);

  // Pushing. Whether the repository has the blob (HEAD); an upload of `size` bytes read from
  // `source` (a monolithic PUT after POST .../uploads/, streamed, never held in memory); the
  // manifest under ref's tag (or its digest) with its media type. Errors as above; a 4xx
  // answer to the upload or the manifest is kInvalidArgument naming the registry's reason.
  Result<bool> HasBlob(const Reference& ref, const Digest& digest);
  // Asks the registry to link blob `digest` of its repository `from` into ref's repository
  // (a cross-repository mount): true when it did, false when it would rather have an upload.
  // PutBlob follows only an upload Location on the registry's own host, and a registry that
  // names another digest for the upload than the one sent is an error (kDataLoss); so is a
  // manifest PUT answered with another digest than the bytes'.
  Result<bool> MountBlob(const Reference& ref, const Digest& digest, const std::string& from);
  // `read_at` fills the buffer with up to `cap` bytes of the blob from `offset` and returns how
  // many (0 only at the end): an upload that fails on the way (a reset, a 5xx after the body)
  // starts again from byte 0 in a new upload session, up to `attempts` times.
  Result<void> PutBlob(const Reference& ref, const Digest& digest, std::uint64_t size,
                       const std::function<Result<std::size_t>(std::uint64_t offset, char* buffer,
                                                               std::size_t cap)>& read_at);
  Result<void> PutManifest(const Reference& ref, const std::string& bytes,
                           const std::string& media_type);

  // GET /v2/ with the login (what `buildtool login` checks before storing it): kPermissionDenied
  // when the registry refuses it.
  Result<void> Ping(const std::string& domain);

 private:
  // The base URL of a registry host ("https://registry-1.docker.io"), picked once per host.
  Result<std::string> BaseUrl(const std::string& domain);
  // The CA bundle for a registry's TLS ("" when it has none of its own).
  std::string CaFile(const std::string& domain);
  // Runs a GET against the registry with authentication and retries.
  Result<HttpResponse> Get(const Reference& ref, const std::string& path,
                           std::vector<std::pair<std::string, std::string>> headers,
                           const HttpBodySink* sink, std::uint64_t max_body);
  // Runs `request` (its URL a path, or an absolute URL the registry gave) with the push scope's
  // token; retried while nothing of a streamed body was sent.
  // `sink` (with `delivered`, the bytes it has passed on) streams the answer instead.
  Result<HttpResponse> Send(const Reference& ref, HttpRequest request, bool push,
                            const HttpBodySink* sink = nullptr,
                            const std::uint64_t* delivered = nullptr);
  // The Authorization header value that answers `challenge` (Bearer: a token fetched from the
  // realm, with the login if there is one; Basic: the login).
  Result<std::string> Authorize(const Reference& ref, const std::string& challenge,
                                const std::string& scope);
  // One upload session of PutBlob: POST, then the whole body in one PUT.
  Result<void> UploadOnce(const Reference& ref, const Digest& digest, std::uint64_t size,
                          const std::function<Result<std::size_t>(std::uint64_t, char*, std::size_t)>& read_at);
  // How long to wait before attempt `attempt` + 1 after answer `r`.
  std::chrono::milliseconds RetryDelay(const Result<HttpResponse>& r, int attempt) const;
  Result<FetchedManifest> FetchManifest(const Reference& ref, const std::string& tag_or_digest,
                                        const std::optional<Digest>& expected);

  HttpClient& http_;
  RegistryOptions options_;
  std::mutex mu_;
  std::map<std::string, std::string> base_urls_;  // domain -> base URL
  std::map<std::string, std::string> ca_files_;   // domain -> its CA bundle ("" : the system's)
  std::set<std::string> unverified_;              // domains spoken to over unverified TLS
  std::map<std::string, std::string> tokens_;     // domain + " " + scope -> Authorization value
};

// The parameters of a WWW-Authenticate challenge: scheme ("bearer", lowercased) and params
// (realm, service, scope...). nullopt when it does not parse.
struct AuthChallenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};
std::optional<AuthChallenge> ParseAuthChallenge(std::string_view header);

}  // namespace bt::oci
