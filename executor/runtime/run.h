// `buildtool-runtime run`: the runtime side of one container, in the foreground like
// `runc run`. It reads <bundle>/config.json, makes the cgroup and the plan, clones the
// container child into its namespaces, writes the id maps, moves it into the cgroup, lets it
// go, forwards the signals it receives to the container's init and waits for it. Only one
// run per id and state directory at a time.
#pragma once

#include <functional>
#include <string>

#include "base/result.h"

namespace bt::executor::runtime {

struct RunOptions {
  std::string bundle = ".";         // the bundle directory (holds config.json)
  std::string id;                   // container id
  std::string state_root;           // --root: where the per-id lock lives
  std::string pid_file;             // --pid-file: gets the init's pid (host view), or ""
  bool new_session_keyring = true;  // false with --no-new-keyring
  // Told about problems that do not change the outcome (a cgroup left behind); may be empty.
  std::function<void(const std::string&)> warn;
};

// The container process's exit status (128+N when signal N killed it). An Error when the
// container could not be started: kNotFound or kPermissionDenied when execve of
// process.args[0] failed, other codes for everything before (see ExitCodeForError).
Result<int> RunContainer(const RunOptions& options);

// What `buildtool-runtime` exits with for an error of RunContainer: 127 when the program was
// not found, 126 when it could not be executed (as a shell, and Docker), else 125.
int ExitCodeForError(const Error& error);

}  // namespace bt::executor::runtime
