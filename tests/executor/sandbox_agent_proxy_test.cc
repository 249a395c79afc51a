// AgentSocketProxy (executor/sandbox/agent_socket_proxy.h): the socket a RUN ssh mount gets
// has the mount's owner and mode, relays each connection to the agent both ways, refuses
// nothing but reaches nothing else, and disappears with the proxy.
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <thread>

#include "base/temp_dir.h"
#include "base/unique_fd.h"
#include "executor/sandbox/agent_socket_proxy.h"

namespace bt::test {
namespace {

UniqueFd UnixSocket(const std::string& path, bool listen) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listen) {
    REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd.get(), 4) == 0);
  } else if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return UniqueFd();
  }
  return fd;
}

// A stand-in agent: answers each message with "agent:" + the message, for `connections`
// connections.
void ServeAgent(int listener, int connections) {
  for (int i = 0; i < connections; ++i) {
    UniqueFd c(::accept(listener, nullptr, nullptr));
    char buf[256];
    ssize_t n;
    while ((n = ::read(c.get(), buf, sizeof buf)) > 0) {
      const std::string reply = "agent:" + std::string(buf, static_cast<std::size_t>(n));
      (void)::write(c.get(), reply.data(), reply.size());
    }
  }
}

std::string Ask(int fd, const std::string& message) {
  REQUIRE(::write(fd, message.data(), message.size()) == static_cast<ssize_t>(message.size()));
  pollfd p{fd, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 5000) == 1);
  char buf[256];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

TEST_CASE("the ssh agent proxy relays connections with the mount's owner and mode",
          "[executor][sandbox][ssh]") {
  if (::geteuid() != 0) {
    WARN("SKIPPED: chown of the socket needs root");
    return;
  }
  Result<TempDir> dir = TempDir::Create("", "bt-agent-");
  REQUIRE(dir.has_value());
  const std::string agent_path = dir->path() + "/agent";
  UniqueFd agent = UnixSocket(agent_path, true);
  std::thread agent_thread(ServeAgent, agent.get(), 2);
  {
    Result<executor::AgentSocketProxy> proxy = executor::AgentSocketProxy::Start(
        dir->path() + "/proxy.sock", agent_path, 1000, 1001, 0600);
    REQUIRE(proxy.has_value());
    struct stat st;
    REQUIRE(::stat(proxy->path().c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(st.st_uid == 1000);
    CHECK(st.st_gid == 1001);

    // Two connections at once, each answered on its own.
    UniqueFd one = UnixSocket(proxy->path(), false);
    UniqueFd two = UnixSocket(proxy->path(), false);
    REQUIRE(one.valid());
    REQUIRE(two.valid());
    CHECK(Ask(one.get(), "hello") == "agent:hello");
    one.Reset();  // the agent's first connection ends; it serves the second
    CHECK(Ask(two.get(), "again") == "agent:again");
    two.Reset();
  }
  agent_thread.join();
  struct stat st;
  CHECK(::stat((dir->path() + "/proxy.sock").c_str(), &st) != 0);  // gone with the proxy
}

TEST_CASE("the ssh agent proxy survives an agent that went away", "[executor][sandbox][ssh]") {
  if (::geteuid() != 0) {
    WARN("SKIPPED: chown of the socket needs root");
    return;
  }
  Result<TempDir> dir = TempDir::Create("", "bt-agent-");
  REQUIRE(dir.has_value());
  Result<executor::AgentSocketProxy> proxy = executor::AgentSocketProxy::Start(
      dir->path() + "/proxy.sock", dir->path() + "/no-agent", 0, 0, 0600);
  REQUIRE(proxy.has_value());
  UniqueFd c = UnixSocket(proxy->path(), false);
  REQUIRE(c.valid());
  // The proxy accepts, cannot reach the agent, and closes this connection: EOF, no hang.
  pollfd p{c.get(), POLLIN, 0};
  REQUIRE(::poll(&p, 1, 5000) == 1);
  char buf[8];
  CHECK(::read(c.get(), buf, sizeof buf) == 0);
}

}  // namespace
}  // namespace bt::test
