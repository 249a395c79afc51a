// HttpClient against a server on 127.0.0.1: streaming, headers, redirects and the schemes they
// may lead to, statuses, network failures, caps, cancellation and stalls, content decoding.
#include "oci/http_client.h"

#include <stdlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "oci/digest.h"
#include "tests/support/http_test_server.h"

namespace bt::oci {
namespace {

using test::CannedResponse;
using test::HttpTestServer;

std::unique_ptr<HttpClient> NewClient() {
  Result<std::unique_ptr<HttpClient>> client = HttpClient::Create();
  REQUIRE(client.has_value());
  return std::move(*client);
}

HttpRequest Get(std::string url) {
  HttpRequest request;
  request.url = std::move(url);
  return request;
}

CannedResponse Body(std::string body) {
  CannedResponse response;
  response.body = std::move(body);
  return response;
}

CannedResponse Redirect(int status, std::string location) {
  CannedResponse response;
  response.status = status;
  response.headers = {{"Location", std::move(location)}, {"X-Hop", "redirect"}};
  return response;
}

std::string Payload(std::size_t size) {
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 131 + 7) % 251);
  return data;
}

TEST_CASE("a 5 MB body reaches the sink in pieces, complete and in order", "[oci][http_client]") {
  HttpTestServer server;
  const std::string data = Payload(5 * 1024 * 1024);
  server.Route("/blob", Body(data));
  auto client = NewClient();

  Sha256Hasher hasher;
  std::uint64_t total = 0;
  std::size_t largest = 0;
  int chunks = 0;
  long head_status = 0;
  HttpBodySink sink;
  sink.on_head = [&](const HttpResponse& head) -> Result<void> {
    head_status = head.status;
    CHECK(total == 0);  // before any body byte
    return {};
  };
  sink.on_data = [&](std::string_view chunk) -> Result<void> {
    hasher.Update(chunk);
    total += chunk.size();
    largest = std::max(largest, chunk.size());
    ++chunks;
    return {};
  };
  Result<HttpResponse> response = client->Stream(Get(server.Url("/blob")), sink);
  REQUIRE(response.has_value());
  CHECK(response->status == 200);
  CHECK(head_status == 200);
  CHECK(response->body.empty());
  CHECK(response->content_length() == data.size());
  CHECK(total == data.size());
  CHECK(hasher.Finish() == Digest::Of(data));
  CHECK(chunks > 1);
  CHECK(largest < data.size() / 4);  // streamed, not collected first
}

TEST_CASE("headers: case-insensitive lookup, every value kept, ours sent", "[oci][http_client]") {
  HttpTestServer server;
  CannedResponse canned = Body("{}");
  canned.headers = {{"Content-Type", "application/json"}, {"X-Multi", "a"}, {"x-multi", "b"}};
  server.Route("/h", canned);
  auto client = NewClient();

  HttpRequest request = Get(server.Url("/h"));
  request.headers = {{"Accept", "application/vnd.oci.image.index.v1+json"}, {"X-Empty", ""}};
  Result<HttpResponse> response = client->Fetch(request, 1024);
  REQUIRE(response.has_value());
  CHECK(response->body == "{}");
  CHECK(response->headers.Get("content-type") == "application/json");
  CHECK(response->headers.Get("CONTENT-TYPE") == "application/json");
  CHECK(response->headers.GetAll("X-MULTI") == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(response->headers.Get("X-Absent").has_value());

  const std::vector<test::ReceivedRequest> received = server.Requests();
  REQUIRE(received.size() == 1);
  CHECK(received[0].method == "GET");
  CHECK(received[0].Header("Accept") == "application/vnd.oci.image.index.v1+json");
  CHECK(received[0].Header("User-Agent").rfind("buildtool/", 0) == 0);
  CHECK(received[0].Header("Accept-Encoding").empty());  // kNone asks for nothing
}

TEST_CASE("a redirect is followed and the response is the final answer's", "[oci][http_client]") {
  HttpTestServer server;
  server.Route("/old", Redirect(302, "/hop"));
  server.Route("/hop", Redirect(301, server.Url("/new")));
  CannedResponse final_answer = Body("moved here");
  final_answer.headers = {{"X-Final", "yes"}};
  server.Route("/new", final_answer);
  auto client = NewClient();

  Result<HttpResponse> response = client->Fetch(Get(server.Url("/old")), 1024);
  REQUIRE(response.has_value());
  CHECK(response->status == 200);
  CHECK(response->body == "moved here");
  CHECK(response->url == server.Url("/new"));
  CHECK(response->headers.Get("X-Final") == "yes");
  CHECK_FALSE(response->headers.Get("X-Hop").has_value());  // the 3xx answers' fields are gone

  SECTION("not followed when the request allows none") {
    HttpRequest request = Get(server.Url("/old"));
    request.max_redirects = 0;
    Result<HttpResponse> first = client->Fetch(request, 1024);
    REQUIRE(first.has_value());
    CHECK(first->status == 302);
    CHECK(first->headers.Get("Location") == "/hop");
  }
}

TEST_CASE("a redirect to a scheme other than http(s) is refused", "[oci][http_client]") {
  HttpTestServer server;
  const std::string target =
      GENERATE(std::string("file:///etc/passwd"), std::string("ftp://127.0.0.1/x"),
               std::string("gopher://127.0.0.1/x"), std::string("dict://127.0.0.1/x"));
  server.Route("/evil", Redirect(302, target));
  auto client = NewClient();
  bool got_body = false;
  HttpBodySink sink;
  sink.on_data = [&](std::string_view) -> Result<void> {
    got_body = true;
    return {};
  };
  Result<HttpResponse> response = client->Stream(Get(server.Url("/evil")), sink);
  REQUIRE_FALSE(response.has_value());
  CHECK(response.error().code == ErrorCode::kPermissionDenied);
  CHECK_THAT(response.error().message,
             Catch::Contains("redirect") && Catch::Contains(server.Url("/evil")));
  CHECK_FALSE(got_body);
}

TEST_CASE("a redirect loop ends after 10 redirects", "[oci][http_client]") {
  HttpTestServer server;
  server.Route("/loop", Redirect(302, "/loop"));
  auto client = NewClient();
  Result<HttpResponse> response = client->Fetch(Get(server.Url("/loop")), 1024);
  REQUIRE_FALSE(response.has_value());
  CHECK(response.error().code == ErrorCode::kFailedPrecondition);
  CHECK(server.RequestCount("/loop") == 11);  // the first request and 10 redirects
}

TEST_CASE("404 and 500 are answers, and ErrorCodeForStatus says what they mean",
          "[oci][http_client]") {
  HttpTestServer server;
  CannedResponse broken = Body("oops");
  broken.status = 500;
  server.Route("/broken", broken);
  auto client = NewClient();

  Result<HttpResponse> missing = client->Fetch(Get(server.Url("/missing")), 1024);
  REQUIRE(missing.has_value());
  CHECK(missing->status == 404);
  CHECK(missing->body == "not found\n");
  CHECK(ErrorCodeForStatus(missing->status) == ErrorCode::kNotFound);

  Result<HttpResponse> failed = client->Fetch(Get(server.Url("/broken")), 1024);
  REQUIRE(failed.has_value());
  CHECK(failed->status == 500);
  CHECK(ErrorCodeForStatus(failed->status) == ErrorCode::kUnavailable);
  CHECK(ErrorCodeForStatus(503) == ErrorCode::kUnavailable);
  CHECK(ErrorCodeForStatus(429) == ErrorCode::kUnavailable);
  CHECK(ErrorCodeForStatus(401) == ErrorCode::kPermissionDenied);
  CHECK(ErrorCodeForStatus(400) == ErrorCode::kFailedPrecondition);
}

TEST_CASE("on_head sees the status first, and its error keeps the body from the sink",
          "[oci][http_client]") {
  HttpTestServer server;
  auto client = NewClient();
  bool got_body = false;
  HttpBodySink sink;
  sink.on_head = [](const HttpResponse& head) -> Result<void> {
    if (head.status != 200)
      return MakeError(ErrorCode::kNotFound, "status " + std::to_string(head.status));
    return {};
  };
  sink.on_data = [&](std::string_view) -> Result<void> {
    got_body = true;
    return {};
  };
  Result<HttpResponse> response = client->Stream(Get(server.Url("/missing")), sink);
  REQUIRE_FALSE(response.has_value());
  CHECK(response.error().code == ErrorCode::kNotFound);
  CHECK(response.error().message == "status 404");
  CHECK_FALSE(got_body);
}

TEST_CASE("a refused connection is kUnavailable naming the URL", "[oci][http_client]") {
  auto client = NewClient();
  const std::string url = "http://127.0.0.1:" + std::to_string(test::UnusedLoopbackPort()) + "/x";
  Result<HttpResponse> response = client->Fetch(Get(url), 1024);
  REQUIRE_FALSE(response.has_value());
  CHECK(response.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(response.error().message, Catch::StartsWith("GET " + url + ": "));
}

TEST_CASE("a malformed URL or another scheme is refused before any connection",
          "[oci][http_client]") {
  auto client = NewClient();
  const std::string url = GENERATE(
      std::string("http://[::1"), std::string("not a url"), std::string("file:///etc/passwd"),
      std::string("ftp://127.0.0.1/x"), std::string("gopher://127.0.0.1/"));
  Result<HttpResponse> response = client->Fetch(Get(url), 1024);
  REQUIRE_FALSE(response.has_value());
  CHECK(response.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("a header that would add a line is refused", "[oci][http_client]") {
  HttpTestServer server;
  auto client = NewClient();
  HttpRequest request = Get(server.Url("/x"));
  request.headers = {{"X-Evil", "a\r\nAuthorization: Bearer stolen"}};
  Result<HttpResponse> response = client->Fetch(request, 1024);
  REQUIRE_FALSE(response.has_value());
  CHECK(response.error().code == ErrorCode::kInvalidArgument);
  CHECK(server.Requests().empty());
}

TEST_CASE("a body over the cap is cut with an error", "[oci][http_client]") {
  HttpTestServer server;
  CannedResponse big = Body(Payload(1024 * 1024));
  SECTION("declared by Content-Length") {}
  SECTION("without Content-Length") { big.close_delimited = true; }
  SECTION("Content-Length lies low") { big.content_length = 100; }
  server.Route("/big", big);
  auto client = NewClient();

  Result<HttpResponse> fetched = client->Fetch(Get(server.Url("/big")), 64 * 1024);
  if (big.content_length == 100) {
    // The client reads what was declared: a short, complete answer within the cap.
    REQUIRE(fetched.has_value());
    CHECK(fetched->body.size() == 100);
    return;
  }
  REQUIRE_FALSE(fetched.has_value());
  CHECK(fetched.error().code == ErrorCode::kFailedPrecondition);
  CHECK_THAT(fetched.error().message, Catch::Contains("exceeds 65536 bytes"));

  // The same cap on a streamed request: the sink never gets more than the cap.
  std::uint64_t total = 0;
  HttpRequest request = Get(server.Url("/big"));
  request.max_body_bytes = 64 * 1024;
  HttpBodySink sink;
  sink.on_data = [&](std::string_view chunk) -> Result<void> {
    total += chunk.size();
    return {};
  };
  Result<HttpResponse> streamed = client->Stream(request, sink);
  REQUIRE_FALSE(streamed.has_value());
  CHECK(streamed.error().code == ErrorCode::kFailedPrecondition);
  CHECK(total <= 64 * 1024);
}

TEST_CASE("canceling abandons a slow transfer promptly", "[oci][http_client]") {
  HttpTestServer server;
  CannedResponse slow = Body(std::string(1000, 'x'));
  SECTION("while bytes trickle in") {
    slow.chunk_bytes = 1;
    slow.chunk_delay = std::chrono::milliseconds(50);
  }
  SECTION("while nothing arrives") { slow.chunk_delay = std::chrono::seconds(30); }
  server.Route("/slow", slow);
  auto client = NewClient();

  std::atomic<bool> cancel{false};
  HttpRequest request = Get(server.Url("/slow"));
  request.canceled = [&] { return cancel.load(); };
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  const auto start = std::chrono::steady_clock::now();
  Result<HttpResponse> response = client->Fetch(request, 1 << 20);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  canceller.join();
  REQUIRE_FALSE(response.has_value());
  CHECK(response.error().code == ErrorCode::kCancelled);
  CHECK(elapsed < std::chrono::seconds(3));  // libcurl polls at least once a second
}

TEST_CASE("a stalled transfer ends at the low-speed limit", "[oci][http_client]") {
  HttpTestServer server;
  CannedResponse trickle = Body(std::string(1000, 'x'));
  trickle.chunk_bytes = 1;
  trickle.chunk_delay = std::chrono::milliseconds(100);
  server.Route("/trickle", trickle);
  auto client = NewClient();
  HttpRequest request = Get(server.Url("/trickle"));
  request.timeouts.low_speed_bytes = 1000;
  request.timeouts.low_speed_time = std::chrono::seconds(1);
  const auto start = std::chrono::steady_clock::now();
  Result<HttpResponse> response = client->Fetch(request, 1 << 20);
  REQUIRE_FALSE(response.has_value());
  CHECK(response.error().code == ErrorCode::kUnavailable);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("gzip content decoding: raw unless asked, decoded when asked", "[oci][http_client]") {
  // `printf 'hello, gzip\n' | gzip -n -9`
  const std::string gzipped(
      "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\xcd\xc9\xc9\xd7"
      "\x51\x48\xaf\xca\x2c\xe0\x02\x00\x86\x1f\x82\xa4\x0c\x00\x00\x00",
      32);
  HttpTestServer server;
  CannedResponse encoded = Body(gzipped);
  encoded.headers = {{"Content-Encoding", "gzip"}};
  server.Route("/gz", encoded);
  auto client = NewClient();

  HttpRequest request = Get(server.Url("/gz"));
  Result<HttpResponse> raw = client->Fetch(request, 1024);
  REQUIRE(raw.has_value());
  CHECK(raw->body == gzipped);

  request.decoding = ContentDecoding::kGzip;
  Result<HttpResponse> decoded = client->Fetch(request, 1024);
  REQUIRE(decoded.has_value());
  CHECK(decoded->body == "hello, gzip\n");
  CHECK(server.Requests().back().Header("Accept-Encoding") == "gzip");
}

TEST_CASE("methods other than GET carry their body, HEAD has none", "[oci][http_client]") {
  HttpTestServer server;
  CannedResponse created = Body("");
  created.status = 201;
  created.headers = {{"Location", "/v2/x/blobs/uploads/1"}};
  server.Route("/upload", created);
  server.Route("/blob", Body("0123456789"));
  auto client = NewClient();

  HttpRequest put = Get(server.Url("/upload"));
  put.method = "PUT";
  put.body = std::string("layer bytes");
  put.headers = {{"Content-Type", "application/octet-stream"}};
  Result<HttpResponse> response = client->Fetch(put, 1024);
  REQUIRE(response.has_value());
  CHECK(response->status == 201);
  CHECK(response->headers.Get("Location") == "/v2/x/blobs/uploads/1");

  HttpRequest head = Get(server.Url("/blob"));
  head.method = "HEAD";
  bool heard = false;
  HttpBodySink sink;
  sink.on_head = [&](const HttpResponse& answer) -> Result<void> {
    heard = true;
    CHECK(answer.content_length() == 10);
    return {};
  };
  sink.on_data = [](std::string_view) -> Result<void> { return {}; };
  Result<HttpResponse> headed = client->Stream(head, sink);
  REQUIRE(headed.has_value());
  CHECK(heard);  // also without a body

  const std::vector<test::ReceivedRequest> received = server.Requests();
  REQUIRE(received.size() == 2);
  CHECK(received[0].method == "PUT");
  CHECK(received[0].body == "layer bytes");
  CHECK(received[0].Header("Expect").empty());
  CHECK(received[1].method == "HEAD");
}

TEST_CASE("one client serves several threads at once", "[oci][http_client]") {
  HttpTestServer server;
  server.Route("/a", Body("alpha"));
  server.Route("/b", Body("beta"));
  auto client = NewClient();
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const bool a = (t + i) % 2 == 0;
        Result<HttpResponse> r = client->Fetch(Get(server.Url(a ? "/a" : "/b")), 1024);
        if (r.has_value() && r->body == (a ? "alpha" : "beta")) ++good;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(good == 20);
}

TEST_CASE("loopback is never sent through the environment's proxy", "[oci][http_client]") {
  HttpTestServer server;
  server.Route("/direct", Body("direct"));
  auto client = NewClient();
  // A proxy nobody listens on: using it would fail the request (Go's ProxyFromEnvironment
  // skips localhost and loopback addresses; so do we).
  const std::string proxy = "http://127.0.0.1:" + std::to_string(test::UnusedLoopbackPort());
  ::setenv("http_proxy", proxy.c_str(), 1);
  ::setenv("no_proxy", "example.com", 1);
  Result<HttpResponse> response = client->Fetch(Get(server.Url("/direct")), 1024);
  ::unsetenv("http_proxy");
  ::unsetenv("no_proxy");
  REQUIRE(response.has_value());
  CHECK(response->body == "direct");
}

TEST_CASE("RedactUrl hides a password and caps the length", "[oci][http_client]") {
  CHECK(RedactUrl("https://user:secret@example.com/a?b=c") ==
        "https://user:xxxxx@example.com/a?b=c");
  CHECK(RedactUrl("https://user@example.com/a") == "https://user@example.com/a");
  CHECK(RedactUrl("https://example.com/a@b:c") == "https://example.com/a@b:c");
  const std::string long_url = "https://example.com/" + std::string(5000, 'a');
  CHECK(RedactUrl(long_url).size() == 1024 + 3);
}

}  // namespace
}  // namespace bt::oci
