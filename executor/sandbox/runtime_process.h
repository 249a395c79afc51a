// Runs an OCI runtime (`RUNTIME --root STATE --log LOG --log-format json run --bundle B
// --pid-file P ID`, the command line runc, crun and buildtool-runtime share) on a prepared
// bundle in the foreground, as BuildKit's runc executor does, and streams the container's
// stdout and stderr to a callback as they come; its stdin is empty (end of file at once). Stopping is polled: when `stopping` turns
// true the container's init is killed (SIGKILL through the pid file, so the whole pid
// namespace goes), then the runtime itself if it lingers. Thread-safe: each call is its own
// process; the callbacks run on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bt::executor {

struct RuntimeInvocation {
  std::string runtime;     // path of the runtime binary (or a name searched in PATH)
  std::string state_root;  // its --root
  std::string bundle;      // holds config.json; the log and pid files are written here
  std::string id;          // container id, unique among concurrent steps
  // Output of the container: stream 1 (stdout) or 2 (stderr). At most `log_limit` bytes are
  // passed on; after that one note says the output was clipped (BuildKit's 2 MiB default).
  std::function<void(int stream, std::string_view data)> output;
  std::uint64_t log_limit = 2 * 1024 * 1024;
  std::function<bool()> stopping;  // may be empty
};

struct RuntimeOutcome {
  int status = 0;              // the process's exit status; 128+N when signal N killed it
  bool stopped = false;        // killed because `stopping` said so
  std::string runtime_error;   // what the runtime logged when it could not start the process
};

// kNotFound when the runtime binary cannot be started; otherwise the outcome, whatever the
// process's status.
Result<RuntimeOutcome> RunOciRuntime(const RuntimeInvocation& invocation);

}  // namespace bt::executor
