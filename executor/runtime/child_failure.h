// How the container side of buildtool-runtime reports a failure: code between clone and
// execve must not throw or allocate (STYLE.md 2.9), so each step fills this fixed-size record
// and the record travels to the runtime over the CLOEXEC sync socket, where it becomes an
// Error. Like crun's sync socket, the runtime learns "started" from the socket's EOF at execve.
#pragma once

#include <cstddef>

#include "base/result.h"

namespace bt::executor::runtime {

struct ChildFailure {
  char stage[96] = {};    // what was attempted: "mount proc", "set up capabilities"
  char detail[416] = {};  // on what: the config field and the path
  int sys_errno = 0;      // 0 when the failure is not a failed system call
  int exec_failed = 0;    // 1 when execve itself failed (exit 126/127 as a shell would)
};
static_assert(sizeof(ChildFailure) <= 520, "one datagram");

// Fills `failure` and returns false, so a step can `return Fail(...)`. Never allocates.
bool Fail(ChildFailure* failure, const char* stage, const char* detail, int err);
// As Fail, with a detail made of two parts ("mounts[3] /dev/shm").
bool Fail2(ChildFailure* failure, const char* stage, const char* detail1, const char* detail2,
           int err);

// The Error the runtime reports for a failure record: kIo when an errno is set, else
// kInvalidArgument (the config asked for something impossible).
Error ToError(const ChildFailure& failure);

}  // namespace bt::executor::runtime
