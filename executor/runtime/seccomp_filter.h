// linux.seccomp translated into a BPF program with libseccomp, as runc does
// (libcontainer/seccomp): the runtime compiles the program before it clones, and the
// container child only hands the finished instructions to seccomp(2), so nothing is
// allocated or parsed between clone and execve. The no_new_privs bit is not forced
// (BuildKit runs RUN without it, SECURITY.md decision 2), so the child loads the filter
// while it still holds CAP_SYS_ADMIN unless process.noNewPrivileges is set.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "base/result.h"
#include "executor/runtime/child_failure.h"
#include "executor/runtime/spec.h"

namespace bt::executor::runtime {

struct SeccompProgram {
  std::vector<sock_filter> instructions;
  unsigned flags = 0;  // SECCOMP_FILTER_FLAG_*
};

// Compiles `seccomp`. Syscall names this libseccomp does not know are skipped, as runc and
// crun do (profiles list syscalls of newer kernels). kInvalidArgument naming the field for an
// unknown architecture or flag; kInternal when libseccomp refuses a rule.
Result<SeccompProgram> CompileSeccomp(const Seccomp& seccomp);

// Installs `program` in the calling thread. Child side: no allocation.
bool LoadSeccomp(const SeccompProgram& program, ChildFailure* failure);

}  // namespace bt::executor::runtime
