// The container's PID 1: a few lines of our own code between the kernel and the process,
// as tini or catatonit are. It forwards the signals the runtime receives (and any sent to
// it inside the container) to the process, reaps every zombie re-parented to it, and exits
// with the process's status (128+N when a signal killed it). Its exit ends the pid
// namespace, so the kernel kills whatever the step left behind. It holds no capability but
// CAP_KILL, is not dumpable (a container process cannot ptrace it or open /proc/1/exe or
// its fds: CVE-2019-5736, CVE-2016-9962) and holds no descriptor of the host.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace bt::executor::runtime {

// The signals the runtime and the init pass on: every catchable one a user or a build tool
// sends to stop, interrupt or poke a process.
void ForwardedSignals(sigset_t* set);

// Hardens the calling init after the process `child` was forked: drops capabilities but
// CAP_KILL, makes it non-dumpable, and closes every descriptor (the sync socket last, which
// tells the runtime the init is ready). A failure is reported over `sync_fd` and the child
// is killed. The forwarded signals and SIGCHLD must already be blocked.
[[noreturn]] void RunInit(pid_t child, int sync_fd);

// The exit status the runtime reports for a wait status: the code, or 128+signal.
int ExitStatusOf(int wait_status);

}  // namespace bt::executor::runtime
