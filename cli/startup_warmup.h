// StartupWarmup: pays the one-time costs of a build process that do not depend on the
// Dockerfile — starting oneTBB's worker threads and its allocator, initialising OpenSSL and its
// SHA-256 — on another core while the main thread reads, parses and lowers the Dockerfile and
// opens the cache root. A fully cached build lasts a few milliseconds (issue 5's benchmark),
// and these costs are about one and a half of them when paid in line.
//
// Construct it only once the process is in its private mount namespace: a thread that exists
// before the unshare stays in the host's namespace, and oneTBB's workers, which run build steps
// that mount, must not (build_command.cc).
#pragma once

#include <thread>

namespace bt::cli {

class StartupWarmup {
 public:
  StartupWarmup();   // starts the warm-up thread
  ~StartupWarmup();  // waits for it: it never runs longer than the first steps it serves
  StartupWarmup(const StartupWarmup&) = delete;
  StartupWarmup& operator=(const StartupWarmup&) = delete;

 private:
  std::thread thread_;
};

}  // namespace bt::cli
