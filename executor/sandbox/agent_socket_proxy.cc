#include "executor/sandbox/agent_socket_proxy.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <vector>

#include "base/unique_fd.h"

namespace bt::executor {
namespace {

Result<UniqueFd> Connect(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return MakeError(ErrorCode::kInvalidArgument, "socket path too long: " + path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoError("socket", path, errno);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return ErrnoError("connect to", path, errno);
  }
  return fd;
}

// One relayed connection: bytes from `a` go to `b` and back; done once either side closes.
struct Pair {
  UniqueFd a;
  UniqueFd b;
};

// Moves what is readable on `from` to `to`; false when the connection is over.
bool Relay(int from, int to) {
  char buffer[16384];
  const ssize_t n = ::read(from, buffer, sizeof buffer);
  if (n <= 0) return n < 0 && (errno == EINTR || errno == EAGAIN);
  for (ssize_t done = 0; done < n;) {
    const ssize_t w = ::send(to, buffer + done, static_cast<std::size_t>(n - done), MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += w;
  }
  return true;
}

}  // namespace

struct AgentSocketProxy::State {
  std::string path;
  std::string agent;
  UniqueFd listener;
  UniqueFd stop;  // eventfd: written to stop the thread
  std::thread thread;

  void Serve() {
    std::vector<Pair> pairs;
    while (true) {
      std::vector<pollfd> fds = {{stop.get(), POLLIN, 0}, {listener.get(), POLLIN, 0}};
      for (const Pair& p : pairs) {
        fds.push_back({p.a.get(), POLLIN, 0});
        fds.push_back({p.b.get(), POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[0].revents != 0) return;
      if (fds[1].revents != 0) {
        UniqueFd client(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (client.valid()) {
          // An agent that is gone makes this connection fail, not the proxy.
          if (Result<UniqueFd> upstream = Connect(agent); upstream) {
            pairs.push_back(Pair{std::move(client), std::move(*upstream)});
          }
        }
      }
      std::vector<Pair> kept;
      for (std::size_t i = 0; i < pairs.size(); ++i) {
        const pollfd& a = fds[2 + 2 * i];
        const pollfd& b = fds[3 + 2 * i];
        bool alive = true;
        if (a.revents != 0) alive = Relay(pairs[i].a.get(), pairs[i].b.get());
        if (alive && b.revents != 0) alive = Relay(pairs[i].b.get(), pairs[i].a.get());
        if (alive) kept.push_back(std::move(pairs[i]));
      }
      pairs = std::move(kept);
    }
  }
};

AgentSocketProxy::AgentSocketProxy(std::unique_ptr<State> state) : state_(std::move(state)) {}
AgentSocketProxy::AgentSocketProxy(AgentSocketProxy&&) noexcept = default;
AgentSocketProxy& AgentSocketProxy::operator=(AgentSocketProxy&&) noexcept = default;

AgentSocketProxy::~AgentSocketProxy() {
  if (!state_) return;
  if (state_->thread.joinable()) {
    const std::uint64_t one = 1;
    (void)::write(state_->stop.get(), &one, sizeof one);
    state_->thread.join();
  }
  ::unlink(state_->path.c_str());
}

const std::string& AgentSocketProxy::path() const { return state_->path; }

Result<AgentSocketProxy> AgentSocketProxy::Start(const std::string& listen_path,
                                                 const std::string& agent_socket, uid_t uid,
                                                 gid_t gid, mode_t mode) {
  auto state = std::make_unique<State>();
  state->path = listen_path;
  state->agent = agent_socket;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (listen_path.size() >= sizeof addr.sun_path) {
    return MakeError(ErrorCode::kInvalidArgument, "socket path too long: " + listen_path);
  }
  std::memcpy(addr.sun_path, listen_path.c_str(), listen_path.size() + 1);
  state->listener.Reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!state->listener.valid()) return ErrnoError("socket", listen_path, errno);
  if (::bind(state->listener.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return ErrnoError("bind", listen_path, errno);
  }
  AgentSocketProxy proxy(std::move(state));  // from here, the socket file is removed on error
  State& s = *proxy.state_;
  if (::chown(listen_path.c_str(), uid, gid) != 0) return ErrnoError("chown", listen_path, errno);
  if (::chmod(listen_path.c_str(), mode & 07777) != 0) return ErrnoError("chmod", listen_path, errno);
  if (::listen(s.listener.get(), 16) != 0) return ErrnoError("listen", listen_path, errno);
  s.stop.Reset(::eventfd(0, EFD_CLOEXEC));
  if (!s.stop.valid()) return ErrnoError("eventfd", "", errno);
  s.thread = std::thread([&s] { s.Serve(); });
  return proxy;
}

}  // namespace bt::executor
