#include "executor/runtime/init.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "executor/runtime/capabilities.h"
#include "executor/runtime/child_failure.h"
#include "executor/runtime/process.h"
#include "executor/runtime/syscalls.h"

namespace bt::executor::runtime {

void ForwardedSignals(sigset_t* set) {
  sigemptyset(set);
  for (const int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT,
                        SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH, SIGVTALRM, SIGPROF, SIGXCPU}) {
    sigaddset(set, sig);
  }
}

int ExitStatusOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

void RunInit(pid_t child, int sync_fd) {
  ChildFailure failure;
  CapabilitySets kill_only;
  kill_only.bounding = kill_only.effective = kill_only.permitted = std::uint64_t{1} << CAP_KILL;
  // Outside a pid namespace the init is not PID 1; a subreaper still collects the orphans.
  const bool ok = ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 &&
                  DropBoundingSet(kill_only.bounding, &failure) &&
                  SetCapabilities(kill_only, &failure) && ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
  if (!ok) {
    if (failure.stage[0] == '\0') Fail(&failure, "harden the container's init", "", errno);
    (void)::send(sync_fd, &failure, sizeof failure, MSG_NOSIGNAL);
    ::kill(child, SIGKILL);
    ::_exit(kSetupFailedStatus);
  }
  sys::CloseRange(3, ~0U, 0);  // includes the sync socket: the runtime sees EOF once the
                               // process has exec'd too

  sigset_t waited;
  ForwardedSignals(&waited);
  sigaddset(&waited, SIGCHLD);
  while (true) {
    siginfo_t info;
    const int sig = ::sigwaitinfo(&waited, &info);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      ::kill(child, sig);  // ESRCH once it is gone: nothing left to tell
      continue;
    }
    while (true) {
      int status = 0;
      const pid_t reaped = ::waitpid(-1, &status, WNOHANG);
      if (reaped <= 0) break;
      if (reaped == child) ::_exit(ExitStatusOf(status));
    }
  }
}

}  // namespace bt::executor::runtime
