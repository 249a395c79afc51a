#include "solver/network_pool.h"

#include <sys/types.h>
#include <sys/wait.h>

namespace bt::solver {

Result<NetworkPool::Lease> NetworkPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty()) {
      std::unique_ptr<executor::SandboxNetwork> network = std::move(idle_.back());
      idle_.pop_back();
      // A slirp4netns that died in the meantime is no network: drop it, take another.
      // WNOWAIT: the network's own Stop() reaps it.
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(network->slirp4netns_pid()), &info,
                   WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == 0) {
        return Lease(this, std::move(network));
      }
    }
  }
  BT_ASSIGN_OR_RETURN(executor::SandboxNetwork network, executor::SandboxNetwork::Create(scratch_dir_));
  return Lease(this, std::make_unique<executor::SandboxNetwork>(std::move(network)));
}

void NetworkPool::Return(std::unique_ptr<executor::SandboxNetwork> network) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(network));
}

}  // namespace bt::solver
