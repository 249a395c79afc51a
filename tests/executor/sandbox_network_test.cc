// SandboxNetwork: the network namespace and slirp4netns of RUN steps with the default network
// (SECURITY.md decision 4), checked from inside a busybox container that buildtool-runtime
// runs in it (config.json joins it by path): tap0 and lo configured, this machine's own
// non-loopback address reachable, its loopback not (--disable-host-loopback), and nothing
// left once the object is gone, also after failures. Only this machine's addresses are used.
// Needs root, namespaces, /dev/net/tun and slirp4netns; skips loudly without them.
#include "executor/sandbox/sandbox_network.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "base/temp_dir.h"
#include "tests/support/runtime_bundle.h"

namespace bt::test {
namespace {

using executor::SandboxNetwork;
using executor::SandboxNetworkOptions;

constexpr const char* kRuntime = BT_RUNTIME_BIN;

bool OnPath(const std::string& program) {
  const char* env = ::getenv("PATH");
  std::string path = env != nullptr ? env : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t colon = std::min(path.find(':', start), path.size());
    if (::access((path.substr(start, colon - start) + "/" + program).c_str(), X_OK) == 0) {
      return true;
    }
    start = colon + 1;
  }
  return false;
}

// Why these tests cannot run here ("" when they can).
std::string SandboxNetworkSkipReason() {
  std::string why = RuntimeSkipReason();
  if (!why.empty()) return why;
  if (::access("/dev/net/tun", R_OK | W_OK) != 0) return "needs /dev/net/tun for slirp4netns";
  if (!OnPath("slirp4netns")) return "needs slirp4netns (apt-get install slirp4netns)";
  return "";
}

#define SANDBOX_NETWORK_PRECONDITIONS() BT_SKIP_TEST_IF("sandbox network test", SandboxNetworkSkipReason())

TempDir MakeScratch() {
  Result<TempDir> dir = TempDir::Create("", "bt-sandbox-network-");
  REQUIRE(dir.has_value());
  return std::move(*dir);
}

SandboxNetwork MakeNetwork(const std::string& scratch) {
  Result<SandboxNetwork> net = SandboxNetwork::Create(scratch);
  INFO((net ? "" : net.error().message));
  REQUIRE(net.has_value());
  return std::move(*net);
}

RuntimeBundle MakeBundle(const std::string& script) {
  std::string why;
  std::optional<RuntimeBundle> b = RuntimeBundle::Create({"sh", "-c", script}, &why);
  INFO(why);
  REQUIRE(b.has_value());
  return std::move(*b);
}

// Runs `script` in a busybox container joined to `net`.
CommandResult RunIn(const SandboxNetwork& net, const std::string& script, const std::string& name) {
  RuntimeBundle b = MakeBundle(script);
  for (nlohmann::json& ns : b.config["linux"]["namespaces"]) {
    if (ns["type"] == "network") ns["path"] = net.path();
  }
  return b.Run(kRuntime, UniqueContainerId(name));
}

// The first IPv4 address of an interface that is up and not loopback: this machine's own
// address, which the sandbox reaches from outside its namespace. "" when there is none.
std::string NonLoopbackIpv4() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* a = list; a != nullptr && found.empty(); a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    if ((a->ifa_flags & IFF_UP) == 0 || (a->ifa_flags & IFF_LOOPBACK) != 0) continue;
    char text[INET_ADDRSTRLEN];
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr) found = text;
  }
  ::freeifaddrs(list);
  return found;
}

// A TCP server on one address of this machine that answers every connection with a fixed
// HTTP response and counts the connections it accepted.
class TinyHttpServer {
 public:
  explicit TinyHttpServer(const std::string& address) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in sa = {};
    sa.sin_family = AF_INET;
    REQUIRE(::inet_pton(AF_INET, address.c_str(), &sa.sin_addr) == 1);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    socklen_t len = sizeof sa;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
    port_ = ntohs(sa.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  TinyHttpServer(const TinyHttpServer&) = delete;
  TinyHttpServer& operator=(const TinyHttpServer&) = delete;

  int port() const { return port_; }
  int accepted() const { return accepted_; }

  static constexpr const char* kBody = "hello from this machine";

 private:
  void Serve() {
    while (!stop_) {
      pollfd p = {fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      ++accepted_;
      char request[2048];
      (void)::recv(conn, request, sizeof request, 0);
      const std::string body = kBody;
      const std::string response =
          "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nConnection: close\r\n\r\n" + body;
      (void)::send(conn, response.data(), response.size(), MSG_NOSIGNAL);
      ::close(conn);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

bool IsMounted(const std::string& path) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    if (line.find(" " + path + " ") != std::string::npos) return true;
  }
  return false;
}

// A process whose command line mentions `text` (the namespace file is unique to one object).
bool ProcessMentions(const std::string& text) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string cmdline = ReadWholeFile(entry.path().string() + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(text) != std::string::npos) return true;
  }
  return false;
}

bool ScratchIsEmpty(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::is_empty(dir, ec) && !ec;
}

TEST_CASE("a step in the sandbox network has tap0 10.0.2.100/24, lo, and a route via 10.0.2.2",
          "[executor][sandbox][network][root]") {
  SANDBOX_NETWORK_PRECONDITIONS();
  TempDir scratch = MakeScratch();
  char own_before[64] = {};
  REQUIRE(::readlink("/proc/thread-self/ns/net", own_before, sizeof own_before - 1) > 0);
  SandboxNetwork net = MakeNetwork(scratch.path());
  // Making the namespace moved no thread of ours into it.
  char own_after[64] = {};
  REQUIRE(::readlink("/proc/thread-self/ns/net", own_after, sizeof own_after - 1) > 0);
  CHECK(std::string(own_before) == own_after);
  CHECK(net.path().rfind(scratch.path() + "/netns-", 0) == 0);

  const CommandResult r = RunIn(net,
                                "ip -4 addr show dev tap0 | grep -o 'inet [0-9./]*'; "
                                "ip -4 addr show dev lo | grep -o 'inet [0-9./]*'; "
                                "cat /sys/class/net/tap0/mtu; ip route | grep default",
                                "sbnet-addr");
  INFO(r.err);
  INFO(net.Output());
  CHECK(r.status == 0);
  CHECK(r.out.find("inet 10.0.2.100/24\ninet 127.0.0.1/8\n65520\n") == 0);
  CHECK(r.out.find("default via 10.0.2.2 dev tap0") != std::string::npos);
}

TEST_CASE("a step in the sandbox network reaches this machine's non-loopback address",
          "[executor][sandbox][network][root]") {
  SANDBOX_NETWORK_PRECONDITIONS();
  const std::string address = NonLoopbackIpv4();
  if (address.empty()) {
    WARN("SKIPPED: this machine has no non-loopback IPv4 address to connect to");
    return;
  }
  TempDir scratch = MakeScratch();
  SandboxNetwork net = MakeNetwork(scratch.path());
  TinyHttpServer server(address);
  // busybox 1.35's `wget -T` crashes; `timeout` bounds the attempt instead.
  const CommandResult r = RunIn(
      net, "timeout 20 wget -q -O - http://" + address + ":" + std::to_string(server.port()) + "/",
      "sbnet-out");
  INFO(r.err);
  INFO(net.Output());
  CHECK(r.status == 0);
  CHECK(r.out == TinyHttpServer::kBody);
  CHECK(server.accepted() == 1);
}

TEST_CASE("a step in the sandbox network cannot reach the host's loopback through 10.0.2.2",
          "[executor][sandbox][network][root]") {
  SANDBOX_NETWORK_PRECONDITIONS();
  TempDir scratch = MakeScratch();
  SandboxNetwork net = MakeNetwork(scratch.path());
  TinyHttpServer server("127.0.0.1");
  const std::string url = "http://10.0.2.2:" + std::to_string(server.port()) + "/";
  const CommandResult r =
      RunIn(net, "timeout 20 wget -q -O - " + url + " || echo refused", "sbnet-loopback");
  INFO(r.err);
  INFO(net.Output());
  CHECK(r.status == 0);
  CHECK(r.out == "refused\n");
  CHECK(r.err.find("Network is unreachable") != std::string::npos);
  CHECK(server.accepted() == 0);
}

TEST_CASE("a destroyed sandbox network leaves no slirp4netns, no mount and no file",
          "[executor][sandbox][network][root]") {
  SANDBOX_NETWORK_PRECONDITIONS();
  TempDir scratch = MakeScratch();
  std::string path;
  pid_t pid = -1;
  SECTION("by the destructor") {
    {
      SandboxNetwork net = MakeNetwork(scratch.path());
      path = net.path();
      pid = net.slirp4netns_pid();
      REQUIRE(pid > 0);
      CHECK(IsMounted(path));
      CHECK(ProcessMentions(path));
    }
  }
  SECTION("by Stop, which reports success") {
    SandboxNetwork net = MakeNetwork(scratch.path());
    path = net.path();
    pid = net.slirp4netns_pid();
    CHECK(net.Stop().has_value());
    CHECK(net.path().empty());
    CHECK(net.slirp4netns_pid() == -1);
  }
  SECTION("after a move, by the object moved to") {
    std::optional<SandboxNetwork> moved_to;
    {
      SandboxNetwork net = MakeNetwork(scratch.path());
      path = net.path();
      pid = net.slirp4netns_pid();
      moved_to.emplace(std::move(net));
    }
    CHECK(IsMounted(path));  // the moved-from object's end took nothing down
    CHECK(::kill(pid, 0) == 0);
    moved_to.reset();
  }
  CHECK(::kill(pid, 0) == -1);
  CHECK(!ProcessMentions(path));
  CHECK_FALSE(IsMounted(path));
  CHECK(::access(path.c_str(), F_OK) != 0);
  CHECK(ScratchIsEmpty(scratch.path()));
}

TEST_CASE("a sandbox network that cannot start says why and leaves nothing behind",
          "[executor][sandbox][network][root]") {
  SANDBOX_NETWORK_PRECONDITIONS();
  TempDir scratch = MakeScratch();
  SandboxNetworkOptions options;
  SECTION("slirp4netns is not installed") {
    options.slirp4netns = "/nonexistent/slirp4netns";
    Result<SandboxNetwork> net = SandboxNetwork::Create(scratch.path(), options);
    REQUIRE_FALSE(net.has_value());
    CHECK(net.error().code == ErrorCode::kFailedPrecondition);
    CHECK(net.error().message.find("the sandbox network needs slirp4netns (apt-get install "
                                   "slirp4netns), or build with --network=none") !=
          std::string::npos);
  }
  SECTION("slirp4netns fails") {
    options.slirp4netns = "/bin/false";
    Result<SandboxNetwork> net = SandboxNetwork::Create(scratch.path(), options);
    REQUIRE_FALSE(net.has_value());
    CHECK(net.error().code == ErrorCode::kUnavailable);
    CHECK(net.error().message.find("slirp4netns ended (exit status 1) before the network was "
                                   "ready") != std::string::npos);
  }
  SECTION("slirp4netns reports an error: its output is in the message") {
    options.mtu = 70000;  // above slirp4netns's maximum
    Result<SandboxNetwork> net = SandboxNetwork::Create(scratch.path(), options);
    REQUIRE_FALSE(net.has_value());
    CHECK(net.error().code == ErrorCode::kUnavailable);
    CHECK(net.error().message.find("MTU") != std::string::npos);
  }
  SECTION("slirp4netns never gets ready: it is killed after the timeout") {
    TempDir tools = MakeScratch();  // apart from the scratch directory, which must stay empty
    const std::string pid_file = tools.path() + "/pid";
    const std::string script = tools.path() + "/never-ready";
    std::ofstream(script) << "#!/bin/sh\necho $$ > " << pid_file << "\nexec sleep 60\n";
    ::chmod(script.c_str(), 0755);
    options.slirp4netns = script;
    options.ready_timeout = std::chrono::milliseconds(300);
    options.stop_timeout = std::chrono::milliseconds(100);
    Result<SandboxNetwork> net = SandboxNetwork::Create(scratch.path(), options);
    REQUIRE_FALSE(net.has_value());
    CHECK(net.error().code == ErrorCode::kUnavailable);
    CHECK(net.error().message.find("did not report ready within 300 ms") != std::string::npos);
    const std::string pid_text = ReadWholeFile(pid_file);
    REQUIRE_FALSE(pid_text.empty());
    CHECK(::kill(static_cast<pid_t>(std::stol(pid_text)), 0) == -1);
  }
  CHECK(ScratchIsEmpty(scratch.path()));
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    CHECK(line.find(scratch.path() + "/netns-") == std::string::npos);
  }
}

}  // namespace
}  // namespace bt::test
