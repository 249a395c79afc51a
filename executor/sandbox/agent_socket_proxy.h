// AgentSocketProxy: the socket a RUN --mount=type=ssh step sees. It listens on a new unix
// socket owned by the mount's uid/gid with its mode (BuildKit's sshforward MountSSHSocket:
// a step running as USER app may use the agent only when the mount says so) and relays every
// connection to the agent socket given with --ssh. The host's agent socket itself is never
// mounted into the step, so the step cannot chmod or replace it. One relay thread per proxy;
// it stops, closing every connection, when the proxy is destroyed. Not copyable.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "base/result.h"

namespace bt::executor {

class AgentSocketProxy {
 public:
  // Listens at `listen_path` (created; its directory must exist) for `agent_socket`.
  static Result<AgentSocketProxy> Start(const std::string& listen_path,
                                        const std::string& agent_socket, uid_t uid, gid_t gid,
                                        mode_t mode);
  AgentSocketProxy(AgentSocketProxy&&) noexcept;
  AgentSocketProxy& operator=(AgentSocketProxy&&) noexcept;
  ~AgentSocketProxy();

  const std::string& path() const;

 private:
  struct State;
  explicit AgentSocketProxy(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace bt::executor
