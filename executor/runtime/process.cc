#include "executor/runtime/process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "base/unique_fd.h"
#include "executor/runtime/capabilities.h"
#include "executor/runtime/child_failure.h"
#include "executor/runtime/seccomp_filter.h"
#include "executor/runtime/syscalls.h"

namespace bt::executor::runtime {
namespace {

[[noreturn]] void Report(int sync_fd, const ChildFailure& failure) {
  // SOCK_SEQPACKET: the record arrives whole or not at all.
  (void)::send(sync_fd, &failure, sizeof failure, MSG_NOSIGNAL);
  ::_exit(kSetupFailedStatus);
}

bool SetRlimits(const ProcessPlan& p, ChildFailure* failure) {
  for (const Rlimit& limit : p.rlimits) {
    const rlimit value = {static_cast<rlim_t>(limit.soft), static_cast<rlim_t>(limit.hard)};
    if (::setrlimit(static_cast<__rlimit_resource>(limit.resource), &value) != 0) {
      return Fail2(failure, "set rlimit (raising a hard limit needs CAP_SYS_RESOURCE)",
                   "process.rlimits", limit.name.c_str(), errno);
    }
  }
  return true;
}

// runc's fixStdioPermissions: a process running as another user must be able to reopen
// its own stdio (`echo x > /dev/stderr` opens /proc/self/fd/2 again, which checks the
// pipe's owner), so pipes and sockets on fds 0-2 are handed to its uid. Unlike runc,
// regular files and devices are never chowned: they belong to whoever started the runtime,
// and crun 1.8.1 chowning the host's /dev/null in a user namespace shows what that risks.
// EPERM and EINVAL mean the owner is not mapped in our user namespace: left as it is (runc).
bool GiveStdioToUser(const ProcessPlan& p, ChildFailure* failure) {
  for (int fd = 0; fd < 3; ++fd) {
    struct stat st;
    if (::fstat(fd, &st) != 0) continue;  // closed: nothing to give
    if (st.st_uid == p.uid || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) continue;
    if (::fchown(fd, p.uid, static_cast<gid_t>(-1)) != 0 && errno != EPERM && errno != EINVAL) {
      return Fail(failure, "give the process's stdio to its user", "process.user.uid", errno);
    }
  }
  return true;
}

bool SwitchUser(const ProcessPlan& p, ChildFailure* failure) {
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
    return Fail(failure, "keep capabilities", "", errno);
  }
  if (p.set_groups && ::setgroups(p.groups.size(), p.groups.data()) != 0) {
    return Fail(failure, "set supplementary groups", "process.user.additionalGids", errno);
  }
  if (::setresgid(p.gid, p.gid, p.gid) != 0) {
    return Fail(failure, "set gid", "process.user.gid", errno);
  }
  if (::setresuid(p.uid, p.uid, p.uid) != 0) {
    return Fail(failure, "set uid", "process.user.uid", errno);
  }
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return Fail(failure, "reset keepcaps", "", errno);
  return true;
}

// After chdir, the cwd must be reachable from the root: a cwd leaked from the host (an fd
// or a mount outside the root) reads back as unreachable (CVE-2024-21626).
bool CheckCwdInRoot(const ProcessPlan& p, ChildFailure* failure) {
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) {
    return Fail2(failure, "check the working directory is inside the rootfs", "process.cwd",
                 p.cwd.c_str(), errno);
  }
  if (cwd[0] != '/') {
    return Fail2(failure, "check the working directory is inside the rootfs", "process.cwd",
                 p.cwd.c_str(), EPERM);
  }
  return true;
}

bool Prepare(const ContainerPlan& plan, ChildFailure* failure) {
  const ProcessPlan& p = plan.process;
  if (::setsid() < 0) return Fail(failure, "start a session", "", errno);
  if (!SetRlimits(p, failure)) return false;
  if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Fail(failure, "set no_new_privs", "process.noNewPrivileges", errno);
  }
  // Without no_new_privs only a process holding CAP_SYS_ADMIN may install a filter, so it
  // goes in before the capabilities are dropped (runc does the same).
  if (p.seccomp && !p.no_new_privileges && !LoadSeccomp(*p.seccomp, failure)) return false;
  // First as root, which may enter a directory the user may not; again after the switch if
  // root was refused (runc's two-step chdir).
  bool chdir_done = ::chdir(p.cwd.c_str()) == 0;
  if (!chdir_done && errno != EACCES && errno != EPERM) {
    return Fail2(failure, "chdir", "process.cwd", p.cwd.c_str(), errno);
  }
  if (!GiveStdioToUser(p, failure)) return false;
  if (!DropBoundingSet(p.capabilities.bounding, failure)) return false;
  if (!SwitchUser(p, failure)) return false;
  if (!SetCapabilities(p.capabilities, failure)) return false;
  if (!chdir_done && ::chdir(p.cwd.c_str()) != 0) {
    return Fail2(failure, "chdir", "process.cwd", p.cwd.c_str(), errno);
  }
  if (!CheckCwdInRoot(p, failure)) return false;
  ::umask(p.umask);
  return true;
}

// HOME=<home of the process's uid>, read from the image's /etc/passwd before the user
// switch (the file may be unreadable to the user). Only the first 64 KiB are searched.
void AddHome(const ContainerPlan& plan, char* envp[]) {
  static char passwd[64 * 1024];
  static char home_env[4096 + 6] = "HOME=";
  std::size_t length = 0;
  const UniqueFd fd(::open("/etc/passwd", O_RDONLY | O_CLOEXEC));
  if (fd.valid()) {
    ssize_t n;
    while (length < sizeof passwd &&
           (n = ::read(fd.get(), passwd + length, sizeof passwd - length)) > 0) {
      length += static_cast<std::size_t>(n);
    }
  }
  HomeFromPasswd(passwd, length, plan.process.uid, home_env + 5, sizeof home_env - 5);
  std::size_t i = 0;
  while (envp[i] != nullptr) ++i;
  envp[i] = home_env;  // the runtime left the slot after the terminator free
  envp[i + 1] = nullptr;
}

}  // namespace

void HomeFromPasswd(const char* text, std::size_t length, uid_t uid, char* home, std::size_t size) {
  std::snprintf(home, size, "/");
  std::size_t line = 0;
  while (line < length) {
    std::size_t end = line;
    while (end < length && text[end] != '\n') ++end;
    // Fields 2 (uid) and 5 (home), 0-based.
    std::size_t field = 0, start = line, uid_start = 0, uid_end = 0, home_start = 0, home_end = 0;
    for (std::size_t i = line; i <= end; ++i) {
      if (i < end && text[i] != ':') continue;
      if (field == 2) uid_start = start, uid_end = i;
      if (field == 5) home_start = start, home_end = i;
      ++field;
      start = i + 1;
    }
    if (field >= 7 && uid_end > uid_start && uid_end - uid_start <= 10) {
      unsigned long value = 0;
      bool digits = true;
      for (std::size_t i = uid_start; i < uid_end; ++i) {
        digits = digits && text[i] >= '0' && text[i] <= '9';
        value = value * 10 + static_cast<unsigned long>(text[i] - '0');
      }
      if (digits && value == uid) {
        if (home_end > home_start && home_end - home_start < size) {
          std::snprintf(home, size, "%.*s", static_cast<int>(home_end - home_start),
                        text + home_start);
        }
        return;
      }
    }
    line = end + 1;
  }
}

void ExecContainerProcess(const ContainerPlan& plan, char* const argv[], char* envp[],
                          int sync_fd) {
  ChildFailure failure;
  if (plan.process.add_home) AddHome(plan, envp);
  if (!Prepare(plan, &failure)) Report(sync_fd, failure);
  // No descriptor of the runtime reaches the process: everything above 2 but the sync
  // socket is closed now, and that one is CLOEXEC (CVE-2024-21626).
  if (sync_fd > 3) sys::CloseRange(3, static_cast<unsigned>(sync_fd) - 1, 0);
  sys::CloseRange(static_cast<unsigned>(sync_fd) + 1, ~0U, 0);
  if (plan.process.seccomp && plan.process.no_new_privileges &&
      !LoadSeccomp(*plan.process.seccomp, &failure)) {
    Report(sync_fd, failure);
  }
  // The process starts like any fresh one: default dispositions (nothing the runtime's
  // caller ignored is inherited) and no blocked signal; pending ones arrive after execve.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // execvpe searches the PATH of the current environment, so the config's env goes first.
  environ = envp;
  ::execvpe(argv[0], argv, envp);
  const int err = errno;
  Fail2(&failure, "exec", "process.args[0]", argv[0], err);
  failure.exec_failed = 1;
  Report(sync_fd, failure);
}

}  // namespace bt::executor::runtime
