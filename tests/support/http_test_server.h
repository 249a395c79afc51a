// HttpTestServer: a tiny HTTP/1.1 server on 127.0.0.1 for tests, serving canned answers per
// path from its own threads; it records every request it got. No TLS, no keep-alive: every
// answer closes its connection. Slow and lying answers (trickled bodies, a Content-Length
// that does not match) are set per path, so client tests need no outside server and no Python.
// Route, Requests and RequestCount may be called from any thread while it serves.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace bt::test {

struct CannedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Content-Length as sent: nullopt means body.size(); a value lies about the body.
  std::optional<std::uint64_t> content_length;
  // Send no Content-Length: the body ends when the connection closes.
  bool close_delimited = false;
  // Trickle: the body goes out in pieces of chunk_bytes with chunk_delay before each
  // (0: all at once). The headers go out at once either way.
  std::size_t chunk_bytes = 0;
  std::chrono::milliseconds chunk_delay{0};
};

struct ReceivedRequest {
  std::string method;
  std::string target;  // path and query as sent
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first value of header `name` (case-insensitive); empty when absent.
  std::string Header(std::string_view name) const;
};

class HttpTestServer {
 public:
  // Listens on 127.0.0.1 on a free port; throws std::runtime_error when it cannot.
  HttpTestServer();
  ~HttpTestServer();  // stops serving (cutting slow answers short) and joins its threads
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  // Answers requests for `path` (the target without its query) with `response`; a path with
  // no route gets 404.
  void Route(std::string path, CannedResponse response);
  int port() const { return port_; }
  // "http://127.0.0.1:<port>" + path.
  std::string Url(std::string_view path) const;
  std::vector<ReceivedRequest> Requests() const;
  std::size_t RequestCount(std::string_view path) const;

 private:
  void AcceptLoop();
  void Serve(int fd);
  bool SendAll(int fd, std::string_view data);
  CannedResponse Lookup(const std::string& target) const;

  int listen_fd_ = -1;
  int wake_read_ = -1;  // the accept loop polls it to learn that the server stops
  int wake_write_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;

  mutable std::mutex mu_;
  std::map<std::string, CannedResponse> routes_;  // guarded by mu_
  std::vector<ReceivedRequest> requests_;         // guarded by mu_
  std::vector<int> open_fds_;                     // guarded by mu_; shut down when stopping
  std::vector<std::thread> workers_;              // guarded by mu_
};

// A port on 127.0.0.1 on which nothing listens (bound once, then closed).
int UnusedLoopbackPort();

}  // namespace bt::test
