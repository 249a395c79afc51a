// RegistryClient against a canned registry on 127.0.0.1 (plain HTTP: a loopback registry
// without TLS): manifests by tag and digest with their digests checked, blobs streamed, the
// Bearer challenge answered with a token request carrying service and scope, and the errors a
// registry can cause, each with the reference named.
#include "oci/registry_client.h"

#include <catch2/catch.hpp>

#include "tests/support/http_test_server.h"

namespace bt::oci {
namespace {

const std::string kManifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
    std::string(64, 'a') + R"(","size":2},"layers":[]})";

Reference Ref(const test::HttpTestServer& server, const std::string& rest) {
  Result<Reference> r = ParseReference("127.0.0.1:" + std::to_string(server.port()) + "/" + rest);
  REQUIRE(r.has_value());
  return *r;
}

TEST_CASE("a WWW-Authenticate challenge parses into its scheme and parameters", "[oci][registry]") {
  const std::optional<AuthChallenge> c = ParseAuthChallenge(
      R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull")");
  REQUIRE(c.has_value());
  CHECK(c->scheme == "bearer");
  CHECK(c->params.at("realm") == "https://auth.example/token");
  CHECK(c->params.at("service") == "registry.example");
  CHECK(c->params.at("scope") == "repository:a/b:pull");
  const std::optional<AuthChallenge> basic = ParseAuthChallenge(R"(Basic realm="x")");
  REQUIRE(basic.has_value());
  CHECK(basic->scheme == "basic");
  CHECK_FALSE(ParseAuthChallenge("Bearer").has_value());
}

TEST_CASE("manifests by tag and by digest, checked against their digests", "[oci][registry]") {
  test::HttpTestServer server;
  const Digest digest = Digest::Of(kManifest);
  test::CannedResponse ok;
  ok.headers = {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"},
                {"Docker-Content-Digest", digest.ToString()}};
  ok.body = kManifest;
  server.Route("/v2/team/app/manifests/1", ok);
  server.Route("/v2/team/app/manifests/" + digest.ToString(), ok);
  test::CannedResponse lying = ok;
  lying.headers[1].second = Digest::Of("other").ToString();
  server.Route("/v2/team/app/manifests/lying", lying);
  std::unique_ptr<HttpClient> http = *HttpClient::Create();
  RegistryClient client(*http);

  Result<FetchedManifest> by_tag = client.GetManifest(Ref(server, "team/app:1"));
  REQUIRE(by_tag.has_value());
  CHECK(by_tag->digest == digest);
  CHECK(by_tag->media_type == "application/vnd.oci.image.manifest.v1+json");
  const std::vector<test::ReceivedRequest> requests = server.Requests();
  REQUIRE_FALSE(requests.empty());
  CHECK(requests.back().Header("Accept").find("application/vnd.oci.image.index.v1+json") != std::string::npos);

  CHECK(client.GetManifest(Ref(server, "team/app@" + digest.ToString())).has_value());
  CHECK(client.GetManifest(Ref(server, "team/app:lying")).error().code == ErrorCode::kDataLoss);
  // A digest the registry has nothing under: not found.
  Result<FetchedManifest> absent = client.GetManifest(Ref(server, "team/app:1"), Digest::Of("x"));
  CHECK(absent.error().code == ErrorCode::kNotFound);
  // A pinned digest whose answer is other bytes: refused, whatever the headers say.
  test::CannedResponse swapped = ok;
  swapped.headers.pop_back();  // no Docker-Content-Digest to catch it first
  server.Route("/v2/team/app/manifests/" + Digest::Of("pinned").ToString(), swapped);
  Result<FetchedManifest> wrong = client.GetManifest(Ref(server, "team/app:1"), Digest::Of("pinned"));
  CHECK(wrong.error().code == ErrorCode::kDataLoss);
  Result<FetchedManifest> missing = client.GetManifest(Ref(server, "team/nothing:1"));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message.find("team/nothing:1") != std::string::npos);
}

TEST_CASE("a blob is streamed, an error page is never passed on as the blob", "[oci][registry]") {
  test::HttpTestServer server;
  test::CannedResponse blob;
  blob.body = std::string(300000, 'z');
  blob.chunk_bytes = 65536;
  server.Route("/v2/app/blobs/" + Digest::Of(blob.body).ToString(), blob);
  test::CannedResponse gone;
  gone.status = 404;
  gone.body = "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}";
  server.Route("/v2/app/blobs/" + Digest::Of("gone").ToString(), gone);
  std::unique_ptr<HttpClient> http = *HttpClient::Create();
  RegistryClient client(*http);
  std::string got;
  REQUIRE(client.GetBlob(Ref(server, "app:1"), Digest::Of(blob.body), 0, blob.body.size(), [&](std::string_view c) -> Result<void> {
    got.append(c);
    return {};
  }).has_value());
  CHECK(got == blob.body);
  std::string leaked;
  Result<void> r = client.GetBlob(Ref(server, "app:1"), Digest::Of("gone"), 0, 4, [&](std::string_view c) -> Result<void> {
    leaked.append(c);
    return {};
  });
  CHECK(r.error().code == ErrorCode::kNotFound);
  CHECK(leaked.empty());
  // A download that already holds every byte asks the registry for nothing.
  const std::size_t asked = server.Requests().size();
  REQUIRE(client.GetBlob(Ref(server, "app:1"), Digest::Of(blob.body), blob.body.size(), blob.body.size(),
                         [&](std::string_view) -> Result<void> { return {}; })
              .has_value());
  CHECK(server.Requests().size() == asked);
}

TEST_CASE("a Bearer challenge is answered with a token request, once", "[oci][registry]") {
  test::HttpTestServer server;
  test::CannedResponse challenge;
  challenge.status = 401;
  challenge.headers = {{"WWW-Authenticate",
                        "Bearer realm=\"" + server.Url("/token") +
                            "\",service=\"test-registry\",scope=\"repository:team/app:pull\""}};
  server.Route("/v2/team/app/manifests/1", challenge);
  test::CannedResponse token;
  token.body = R"({"token":"t0k3n"})";
  server.Route("/token", token);
  std::unique_ptr<HttpClient> http = *HttpClient::Create();
  RegistryClient client(*http);
  Result<FetchedManifest> r = client.GetManifest(Ref(server, "team/app:1"));
  // The canned registry keeps refusing: after one token, that is a permission error.
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kPermissionDenied);
  CHECK(server.RequestCount("/token") == 1);
  CHECK(server.RequestCount("/v2/team/app/manifests/1") == 2);
  bool token_asked = false, token_sent = false;
  for (const test::ReceivedRequest& q : server.Requests()) {
    if (q.target.rfind("/token?", 0) == 0) {
      token_asked = q.target.find("service=test-registry") != std::string::npos &&
                    q.target.find("scope=repository%3Ateam%2Fapp%3Apull") != std::string::npos;
    }
    if (q.Header("Authorization") == "Bearer t0k3n") token_sent = true;
  }
  CHECK(token_asked);
  CHECK(token_sent);
}

// SECURITY.md cases 35 and 36: a plain-HTTP loopback registry may be spoken to, but the login
// crosses plain HTTP (to its token realm, or as Basic) only when the registry is named insecure.
TEST_CASE("a login goes over plain HTTP only to a registry named insecure", "[oci][registry]") {
  test::HttpTestServer server;
  test::CannedResponse challenge;
  challenge.status = 401;
  challenge.headers = {{"WWW-Authenticate", "Bearer realm=\"" + server.Url("/token") + "\",service=\"s\""}};
  server.Route("/v2/team/app/manifests/1", challenge);
  test::CannedResponse token;
  token.body = R"({"token":"t0k3n"})";
  server.Route("/token", token);
  std::unique_ptr<HttpClient> http = *HttpClient::Create();
  RegistryOptions options;
  options.credentials = [](const std::string&) -> Result<std::optional<Credentials>> {
    return std::optional<Credentials>(Credentials{"alice", "pw"});
  };
  {
    RegistryClient client(*http, options);
    Result<FetchedManifest> r = client.GetManifest(Ref(server, "team/app:1"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kPermissionDenied);
    CHECK(r.error().message.find("--insecure-registry 127.0.0.1:" + std::to_string(server.port())) !=
          std::string::npos);
    CHECK(server.RequestCount("/token") == 0);
  }
  options.insecure_hosts.insert("127.0.0.1:" + std::to_string(server.port()));
  RegistryClient client(*http, options);
  CHECK_FALSE(client.GetManifest(Ref(server, "team/app:1")).has_value());  // the canned 401 stays
  REQUIRE(server.RequestCount("/token") == 1);
  bool login_sent = false;
  for (const test::ReceivedRequest& q : server.Requests()) {
    if (q.target.rfind("/token", 0) == 0) login_sent = q.Header("Authorization") == "Basic " + Base64Encode("alice:pw");
  }
  CHECK(login_sent);
}

TEST_CASE("malformed challenges parse to nothing rather than to a guess", "[oci][registry]") {
  CHECK_FALSE(ParseAuthChallenge(R"(Bearer realm="https://a.example/token)").has_value());
  CHECK_FALSE(ParseAuthChallenge("Bearer").has_value());
  const std::optional<AuthChallenge> many = ParseAuthChallenge("Bearer " + [] {
    std::string p;
    for (int i = 0; i < 10000; ++i) p += (i ? "," : "") + std::string("p") + std::to_string(i) + "=1";
    return p;
  }());
  REQUIRE(many.has_value());
  CHECK(many->params.size() == 10000);
  CHECK(many->params.count("realm") == 0);
}

TEST_CASE("an identity token is exchanged at the realm as an OAuth2 refresh token", "[oci][registry]") {
  test::HttpTestServer server;
  test::CannedResponse challenge;
  challenge.status = 401;
  challenge.headers = {{"WWW-Authenticate", "Bearer realm=\"" + server.Url("/token") +
                                                "\",service=\"reg\",scope=\"repository:team/app:pull\""}};
  server.Route("/v2/team/app/manifests/1", challenge);
  test::CannedResponse token;
  token.body = R"({"access_token":"acc3ss","refresh_token":"rt"})";
  server.Route("/token", token);
  std::unique_ptr<HttpClient> http = *HttpClient::Create();
  RegistryOptions options;
  options.insecure_hosts.insert("127.0.0.1:" + std::to_string(server.port()));
  options.credentials = [](const std::string&) -> Result<std::optional<Credentials>> {
    return std::optional<Credentials>(Credentials{std::string(kIdentityTokenUser), "refresh/me"});
  };
  RegistryClient client(*http, options);
  CHECK_FALSE(client.GetManifest(Ref(server, "team/app:1")).has_value());  // the canned 401 stays
  bool posted = false, bearer_sent = false;
  for (const test::ReceivedRequest& q : server.Requests()) {
    if (q.target == "/token") {
      posted = q.method == "POST" && q.Header("Authorization").empty() &&
               q.Header("Content-Type") == "application/x-www-form-urlencoded" &&
               q.body.find("grant_type=refresh_token") != std::string::npos &&
               q.body.find("refresh_token=refresh%2Fme") != std::string::npos &&
               q.body.find("service=reg") != std::string::npos &&
               q.body.find("scope=repository%3Ateam%2Fapp%3Apull") != std::string::npos;
    }
    if (q.Header("Authorization") == "Bearer acc3ss") bearer_sent = true;
  }
  CHECK(posted);
  CHECK(bearer_sent);
}

}  // namespace
}  // namespace bt::oci
