// NetworkPool: the sandbox networks (a network namespace served by slirp4netns,
// executor/sandbox/sandbox_network.h) of one build, reused from step to step as BuildKit's
// CNI provider pools its namespaces. Starting slirp4netns costs tens of milliseconds, more
// than the rest of a short RUN step; a namespace whose step has ended holds nothing of it
// (its processes died with their pid namespace; a step has no CAP_NET_ADMIN to change
// routes or addresses), so the next step may take it. Concurrent steps get distinct
// namespaces. Thread-safe; the networks stop when the pool is destroyed.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "executor/sandbox/sandbox_network.h"

namespace bt::solver {

class NetworkPool {
 public:
  explicit NetworkPool(std::string scratch_dir) : scratch_dir_(std::move(scratch_dir)) {}

  // A network held by one step until destroyed, then back in the pool.
  class Lease {
   public:
    Lease(NetworkPool* pool, std::unique_ptr<executor::SandboxNetwork> network)
        : pool_(pool), network_(std::move(network)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) noexcept = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (pool_ != nullptr && network_ != nullptr) pool_->Return(std::move(network_));
    }
    const std::string& path() const { return network_->path(); }

   private:
    NetworkPool* pool_;
    std::unique_ptr<executor::SandboxNetwork> network_;
  };

  // An idle network, or a new one. The errors of SandboxNetwork::Create.
  Result<Lease> Acquire();

 private:
  void Return(std::unique_ptr<executor::SandboxNetwork> network);

  const std::string scratch_dir_;
  std::mutex mu_;
  std::vector<std::unique_ptr<executor::SandboxNetwork>> idle_;  // guarded by mu_
};

}  // namespace bt::solver
