// Child side: turns the forked child of the container's init into the configured process,
// in runc's order (finalizeNamespace): its own session, rlimits, no_new_privs, seccomp
// (while CAP_SYS_ADMIN is held, unless no_new_privs lets an unprivileged process load it,
// in which case it is loaded last), cwd, the bounding set, the uid/gid switch keeping
// capabilities, capset and ambient, then every fd above 2 is closed, the cwd is checked to be
// inside the root (CVE-2024-21626), and execve. Never returns; a failure is written to
// `sync_fd` and the child exits.
#pragma once

#include <sys/types.h>

#include <cstddef>

#include "executor/runtime/plan.h"

namespace bt::executor::runtime {

// argv/envp: null-terminated arrays pointing into plan.process.args / env; envp has one more
// null slot after the terminator, where HOME goes when plan.process.add_home.
[[noreturn]] void ExecContainerProcess(const ContainerPlan& plan, char* const argv[], char* envp[],
                                       int sync_fd);

// The home directory of `uid` in passwd-format `text` ("name:pw:uid:gid:gecos:home:shell"),
// copied into `home` (size `size`); "/" when no line has that uid or the line is malformed,
// as runc defaults. No allocation.
void HomeFromPasswd(const char* text, std::size_t length, uid_t uid, char* home, std::size_t size);

// Exit status of a child whose set-up failed; the runtime reports the failure it sent.
constexpr int kSetupFailedStatus = 125;

}  // namespace bt::executor::runtime
