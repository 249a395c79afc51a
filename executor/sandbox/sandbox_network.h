// SandboxNetwork: the network of RUN steps with the default network (SECURITY.md decision 4).
// A new network namespace is kept alive by a bind mount of its nsfs file under a scratch
// directory, as BuildKit's cniprovider does (createns_linux.go), and config.json joins it by
// path(); slirp4netns serves it: tap0 10.0.2.100/24, gateway 10.0.2.2, DNS 10.0.2.3, with
// connections made from the build's own network namespace except to its loopback
// (--disable-host-loopback). One object owns the slirp4netns process, the mount and the file,
// and removes all three. Create changes nothing of the calling process or its other threads
// and may run on any thread; one object is used from one thread at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace bt::executor {

struct SandboxNetworkOptions {
  std::string slirp4netns = "slirp4netns";  // a path, or a name looked up in $PATH
  int mtu = 65520;                          // rootlesskit's and podman's default for slirp4netns
  std::chrono::milliseconds ready_timeout{10000};
  // After closing the exit fd, how long slirp4netns gets before SIGKILL.
  std::chrono::milliseconds stop_timeout{2000};
};

class SandboxNetwork {
 public:
  // Makes the namespace file `<scratch_dir>/netns-XXXXXX` and starts slirp4netns on it, then
  // waits until slirp4netns reports tap0 configured and itself serving. kFailedPrecondition
  // when slirp4netns is not installed; kUnavailable when it fails or is not ready in time (the
  // message carries its output); kIo for a failed system call. Nothing is left behind on error.
  // The mount is made in the caller's mount namespace, which the runtime must share.
  static Result<SandboxNetwork> Create(const std::string& scratch_dir,
                                       const SandboxNetworkOptions& options = {});

  SandboxNetwork(SandboxNetwork&& other) noexcept;
  SandboxNetwork& operator=(SandboxNetwork&& other) noexcept;
  SandboxNetwork(const SandboxNetwork&) = delete;
  SandboxNetwork& operator=(const SandboxNetwork&) = delete;
  // Stop(), with failures left unreported.
  ~SandboxNetwork();

  // Stops slirp4netns (closes its exit fd, SIGKILL after stop_timeout, reaps it), unmounts the
  // namespace file (MNT_DETACH) and removes it; each is attempted even when an earlier one
  // failed, and the first failure is returned (kIo). Afterwards the object is empty.
  Result<void> Stop();

  // The nsfs file for config.json: linux.namespaces [{"type": "network", "path": path()}].
  const std::string& path() const { return path_; }
  // The slirp4netns process (-1 when none), for diagnostics and tests.
  pid_t slirp4netns_pid() const { return pid_; }
  // What slirp4netns wrote to stdout and stderr so far.
  std::string Output() const;

 private:
  SandboxNetwork() = default;

  std::string path_;  // "" when there is no namespace file
  bool mounted_ = false;
  pid_t pid_ = -1;    // slirp4netns, until reaped
  UniqueFd exit_fd_;  // write end of slirp4netns's --exit-fd: closing it stops slirp4netns
  UniqueFd output_;   // memfd holding slirp4netns's stdout and stderr
  std::chrono::milliseconds stop_timeout_{2000};
};

}  // namespace bt::executor
