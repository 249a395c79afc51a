// FetchHttpSource against a server on 127.0.0.1 and a real cache root: what the snapshot holds
// (BuildKit's source/http/source.go save(): name, content, mode 0600, owner, mtime from
// Last-Modified or the epoch), checksum pinning (validatePinnedChecksum's message), status
// handling (resolveMetadataRef's "invalid response status"), cancellation, and that a failed
// fetch leaves no snapshot, no blob and no ingest behind.
#include "solver/http_source.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/temp_dir.h"
#include "cache/cache_root.h"
#include "cache/lease.h"
#include "tests/support/http_test_server.h"

namespace bt::solver {
namespace {

using test::CannedResponse;

std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return {"<missing>"};
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  return names;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class RecordingSink : public ProgressSink {
 public:
  void Emit(const ProgressEvent& event) override {
    std::lock_guard<std::mutex> lock(mu);
    if (const auto* s = std::get_if<StatusEvent>(&event)) statuses.push_back(*s);
  }
  std::mutex mu;
  std::vector<StatusEvent> statuses;
};

struct Fixture {
  TempDir dir = *TempDir::Create("", "bt-http-source-");
  cache::CacheRoot root = *cache::CacheRoot::Open(dir.path() + "/root");
  cache::Lease lease = *cache::Lease::Acquire(root.db());
  std::unique_ptr<oci::HttpClient> client = std::move(*oci::HttpClient::Create());
  test::HttpTestServer server;
  RecordingSink sink;
  std::atomic<bool> canceled{false};
  StepContext ctx;

  Fixture() {
    ctx.digest = oci::Digest::Of("vertex");
    ctx.name = "ADD http://127.0.0.1/";
    ctx.root = &root;
    ctx.hold = [this](cache::WriteTxn& txn, const std::string& id) {
      return lease.AddSnapshot(txn, id);
    };
    ctx.canceled = &canceled;
    ctx.progress = &sink;
  }

  ir::HttpSource Source(const std::string& path, std::string filename) {
    ir::HttpSource source;
    source.url = server.Url(path);
    source.filename = std::move(filename);
    return source;
  }

  // The one snapshot a fetch made: committed, recorded, holding exactly one file.
  std::string OnlyFile(const std::vector<StepOutput>& outputs) {
    REQUIRE(outputs.size() == 1);
    const std::string& id = outputs[0].snapshot_id;
    CHECK(root.snapshots().IsCommitted(id));
    const std::string diff = root.snapshots().DiffPath(id);
    const std::vector<std::string> names = List(diff);
    REQUIRE(names.size() == 1);
    return diff + "/" + names[0];
  }

  // Nothing of a failed fetch may stay: no snapshot (directory or record), no blob, no ingest.
  void CheckNothingLeft() {
    CHECK(root.snapshots().List()->empty());
    CHECK(root.db().BeginRead()->ListSnapshots()->empty());
    CHECK(root.content().Walk()->empty());
    CHECK(List(root.path() + "/blobs/ingest").empty());
  }
};

TEST_CASE("the file lands with its name, body, mode 0600 and Last-Modified as mtime",
          "[solver][http_source]") {
  Fixture f;
  CannedResponse answer;
  answer.body = "content1";
  answer.headers = {{"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"ETag", "\"abc\""}};
  f.server.Route("/foo", answer);

  Result<std::vector<StepOutput>> outputs =
      FetchHttpSource(f.ctx, f.Source("/foo", "foo"), *f.client);
  REQUIRE(outputs.has_value());
  const std::string file = f.OnlyFile(*outputs);
  CHECK(file.substr(file.rfind('/')) == "/foo");
  CHECK(ReadFile(file) == "content1");
  CHECK((*outputs)[0].size_bytes == 8);
  struct stat st {};
  REQUIRE(::lstat(file.c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_uid == 0);
  CHECK(st.st_mtim.tv_sec == 784111777);  // 1994-11-06 08:49:37 UTC
  CHECK(st.st_mtim.tv_nsec == 0);
  // The body went through the content store and stays there under its digest.
  CHECK(f.root.content().Contains(oci::Digest::Of("content1")));
  CHECK(List(f.root.path() + "/blobs/ingest").empty());
  // BuildKit's user agent is its own; ours names buildtool. Gzip is asked for, as Go does.
  const std::vector<test::ReceivedRequest> requests = f.server.Requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].Header("User-Agent").rfind("buildtool/", 0) == 0);
  CHECK(requests[0].Header("Accept-Encoding") == "gzip");
  // Progress: a status for the download, ending done with every byte counted.
  std::lock_guard<std::mutex> lock(f.sink.mu);
  REQUIRE_FALSE(f.sink.statuses.empty());
  CHECK(f.sink.statuses.back().done);
  CHECK(f.sink.statuses.back().current == 8);
  CHECK(f.sink.statuses.back().vertex == f.ctx.digest);
}

TEST_CASE("without Last-Modified the mtime is the epoch, and the IR's mode and owner apply",
          "[solver][http_source]") {
  Fixture f;
  CannedResponse answer;
  answer.body = "#!/bin/sh\n";
  SECTION("no Last-Modified") {}
  SECTION("an unparsable Last-Modified") { answer.headers = {{"Last-Modified", "yesterday"}}; }
  f.server.Route("/run.sh", answer);
  ir::HttpSource source = f.Source("/run.sh", "run.sh");
  source.mode = 0755;
  const bool root = ::geteuid() == 0;
  if (root) {
    source.uid = 1000;
    source.gid = 1001;
  } else {
    WARN("not root: the owner part of this case is skipped");
  }
  Result<std::vector<StepOutput>> outputs = FetchHttpSource(f.ctx, source, *f.client);
  REQUIRE(outputs.has_value());
  struct stat st {};
  REQUIRE(::lstat(f.OnlyFile(*outputs).c_str(), &st) == 0);
  CHECK(st.st_mtim.tv_sec == 0);
  CHECK((st.st_mode & 07777) == 0755);
  if (root) {
    CHECK(st.st_uid == 1000);
    CHECK(st.st_gid == 1001);
  }
}

TEST_CASE("a pinned checksum that matches passes", "[solver][http_source]") {
  Fixture f;
  CannedResponse answer;
  answer.body = "content-correct";
  f.server.Route("/foo", answer);
  ir::HttpSource source = f.Source("/foo", "foo");
  source.checksum = oci::Digest::Of("content-correct");
  Result<std::vector<StepOutput>> outputs = FetchHttpSource(f.ctx, source, *f.client);
  REQUIRE(outputs.has_value());
  CHECK(ReadFile(f.OnlyFile(*outputs)) == "content-correct");
  CHECK(*f.root.content().Walk() == std::vector<oci::Digest>{source.checksum});
}

TEST_CASE("a pinned checksum that differs fails and keeps nothing", "[solver][http_source]") {
  Fixture f;
  CannedResponse answer;
  answer.body = "content-correct";
  f.server.Route("/foo", answer);
  ir::HttpSource source = f.Source("/foo", "foo");
  source.checksum = oci::Digest::Of("content-different");  // source_test.go TestHTTPChecksum

  Result<std::vector<StepOutput>> outputs = FetchHttpSource(f.ctx, source, *f.client);
  REQUIRE_FALSE(outputs.has_value());
  CHECK(outputs.error().code == ErrorCode::kDataLoss);
  CHECK(outputs.error().message == "digest mismatch for " + source.url + ": " +
                                       oci::Digest::Of("content-correct").ToString() +
                                       " (expected: " + source.checksum.ToString() + ")");
  f.CheckNothingLeft();
}

TEST_CASE("a status outside 200..399 is an error naming the URL and status",
          "[solver][http_source]") {
  Fixture f;
  CannedResponse broken;
  broken.status = 500;
  broken.body = "oops";
  f.server.Route("/broken", broken);
  CannedResponse not_modified;
  not_modified.status = 304;
  not_modified.headers = {{"ETag", "W/\"v1\""}};
  f.server.Route("/stale", not_modified);

  Result<std::vector<StepOutput>> missing =
      FetchHttpSource(f.ctx, f.Source("/foo", "foo"), *f.client);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message == "GET " + f.server.Url("/foo") + ": invalid response status 404");

  Result<std::vector<StepOutput>> failed =
      FetchHttpSource(f.ctx, f.Source("/broken", "broken"), *f.client);
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(failed.error().message, Catch::EndsWith("invalid response status 500"));

  // BuildKit sends no If-None-Match without a cached ETag, so a 304 names the ETag it did
  // not ask about.
  Result<std::vector<StepOutput>> stale =
      FetchHttpSource(f.ctx, f.Source("/stale", "stale"), *f.client);
  REQUIRE_FALSE(stale.has_value());
  CHECK_THAT(stale.error().message, Catch::EndsWith("invalid not-modified ETag: \"v1\""));
  f.CheckNothingLeft();
}

TEST_CASE("Content-Disposition names the file only when the IR has no filename",
          "[solver][http_source]") {
  Fixture f;
  CannedResponse answer;
  answer.body = "payload";
  answer.headers = {{"Content-Disposition", R"(attachment; filename="../../etc/cron.d/x")"}};
  f.server.Route("/get", answer);
  f.server.Route("/", answer);

  SECTION("an IR filename from the URL wins") {
    Result<std::vector<StepOutput>> outputs =
        FetchHttpSource(f.ctx, f.Source("/get", "get"), *f.client);
    REQUIRE(outputs.has_value());
    CHECK(f.OnlyFile(*outputs).substr(f.OnlyFile(*outputs).rfind('/')) == "/get");
  }
  SECTION("the frontend's __unnamed__ is a name like any other") {
    Result<std::vector<StepOutput>> outputs =
        FetchHttpSource(f.ctx, f.Source("/", "__unnamed__"), *f.client);
    REQUIRE(outputs.has_value());
    CHECK(f.OnlyFile(*outputs).substr(f.OnlyFile(*outputs).rfind('/')) == "/__unnamed__");
  }
  SECTION("no IR filename: the header's base name, never a path") {
    Result<std::vector<StepOutput>> outputs =
        FetchHttpSource(f.ctx, f.Source("/get", ""), *f.client);
    REQUIRE(outputs.has_value());
    const std::string file = f.OnlyFile(*outputs);
    CHECK(file == f.root.snapshots().DiffPath((*outputs)[0].snapshot_id) + "/x");
    CHECK(ReadFile(file) == "payload");
  }
}

TEST_CASE("a redirect is followed and the file is named after the URL asked for",
          "[solver][http_source]") {
  Fixture f;
  CannedResponse moved;
  moved.status = 302;
  moved.headers = {{"Location", "/elsewhere/other.bin"}};
  f.server.Route("/start.bin", moved);
  CannedResponse answer;
  answer.body = "moved";
  f.server.Route("/elsewhere/other.bin", answer);
  Result<std::vector<StepOutput>> outputs =
      FetchHttpSource(f.ctx, f.Source("/start.bin", ""), *f.client);
  REQUIRE(outputs.has_value());
  const std::string file = f.OnlyFile(*outputs);
  CHECK(file.substr(file.rfind('/')) == "/start.bin");  // getFileName(hs.src.URL, ...)
  CHECK(ReadFile(file) == "moved");
}

TEST_CASE("a gzip-encoded answer is stored decoded, as Go's transport hands it out",
          "[solver][http_source]") {
  Fixture f;
  CannedResponse answer;
  // `printf 'hello, gzip\n' | gzip -n -9`
  answer.body = std::string(
      "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\xcd\xc9\xc9\xd7"
      "\x51\x48\xaf\xca\x2c\xe0\x02\x00\x86\x1f\x82\xa4\x0c\x00\x00\x00",
      32);
  answer.headers = {{"Content-Encoding", "gzip"}};
  f.server.Route("/hello.txt", answer);
  ir::HttpSource source = f.Source("/hello.txt", "hello.txt");
  source.checksum = oci::Digest::Of("hello, gzip\n");  // over the decoded bytes, as BuildKit
  Result<std::vector<StepOutput>> outputs = FetchHttpSource(f.ctx, source, *f.client);
  REQUIRE(outputs.has_value());
  CHECK(ReadFile(f.OnlyFile(*outputs)) == "hello, gzip\n");
}

TEST_CASE("a canceled build abandons a slow download and keeps nothing", "[solver][http_source]") {
  Fixture f;
  CannedResponse slow;
  slow.body = std::string(2000, 'x');
  slow.chunk_bytes = 10;
  slow.chunk_delay = std::chrono::milliseconds(50);
  f.server.Route("/slow", slow);
  std::thread canceller([&f] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    f.canceled = true;
  });
  const auto start = std::chrono::steady_clock::now();
  Result<std::vector<StepOutput>> outputs =
      FetchHttpSource(f.ctx, f.Source("/slow", "slow"), *f.client);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  canceller.join();
  REQUIRE_FALSE(outputs.has_value());
  CHECK(outputs.error().code == ErrorCode::kCancelled);
  CHECK(elapsed < std::chrono::seconds(3));  // the whole body would take 10 s
  f.CheckNothingLeft();
}

TEST_CASE("a network failure, a body over the cap or a name of slashes keeps nothing",
          "[solver][http_source]") {
  Fixture f;
  ir::HttpSource source;
  source.filename = "x";
  HttpSourceOptions options;
  SECTION("connection refused") {
    source.url = "http://127.0.0.1:" + std::to_string(test::UnusedLoopbackPort()) + "/x";
    Result<std::vector<StepOutput>> outputs = FetchHttpSource(f.ctx, source, *f.client, options);
    REQUIRE_FALSE(outputs.has_value());
    CHECK(outputs.error().code == ErrorCode::kUnavailable);
    CHECK_THAT(outputs.error().message, Catch::Contains(source.url));
  }
  SECTION("over the cap") {
    CannedResponse big;
    big.body = std::string(100000, 'b');
    big.close_delimited = true;
    f.server.Route("/big", big);
    source.url = f.server.Url("/big");
    options.max_bytes = 1000;
    Result<std::vector<StepOutput>> outputs = FetchHttpSource(f.ctx, source, *f.client, options);
    REQUIRE_FALSE(outputs.has_value());
    CHECK(outputs.error().code == ErrorCode::kFailedPrecondition);
  }
  SECTION("a filename of slashes") {
    // SafeFileName("//") is "/" (filepath.Base), which BuildKit then fails to create.
    CannedResponse answer;
    answer.body = "x";
    f.server.Route("/x", answer);
    source = f.Source("/x", "//");
    Result<std::vector<StepOutput>> outputs = FetchHttpSource(f.ctx, source, *f.client, options);
    REQUIRE_FALSE(outputs.has_value());
    CHECK(outputs.error().code == ErrorCode::kInvalidArgument);
  }
  f.CheckNothingLeft();
}

}  // namespace
}  // namespace bt::solver
