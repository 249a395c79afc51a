#include "executor/runtime/container_child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "executor/runtime/child_failure.h"
#include "executor/runtime/in_root.h"
#include "executor/runtime/init.h"
#include "executor/runtime/namespaces.h"
#include "executor/runtime/path_masks.h"
#include "executor/runtime/process.h"
#include "executor/runtime/rootfs.h"
#include "executor/runtime/syscalls.h"
#include "executor/runtime/sysctl.h"

namespace bt::executor::runtime {
namespace {

bool WaitForGo(int sync_fd, ChildFailure* failure) {
  char byte = 0;
  ssize_t n;
  do {
    n = ::recv(sync_fd, &byte, 1, 0);
  } while (n < 0 && errno == EINTR);
  // EOF: the runtime gave up (or died) before the container was ready.
  if (n != 1 || byte != kGoByte) {
    return Fail(failure, "wait for the runtime", "", n < 0 ? errno : ECANCELED);
  }
  return true;
}

bool SetUp(const ContainerPlan& plan, int sync_fd, ChildFailure* failure) {
  // Nothing the runtime's caller leaked, nor the runtime's own lock, reaches the container:
  // a host directory fd could otherwise become the cwd (CVE-2024-21626).
  if (sync_fd > 3) sys::CloseRange(3, static_cast<unsigned>(sync_fd) - 1, 0);
  sys::CloseRange(static_cast<unsigned>(sync_fd) + 1, ~0U, 0);
  // Dies with the runtime; set before waiting so no window is left.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    return Fail(failure, "set the parent death signal", "", errno);
  }
  if (!WaitForGo(sync_fd, failure)) return false;
  if (plan.namespaces.user) {
    // The maps are written now; become the namespace's root (until now our ids were the
    // runtime's, unmapped there, and the kernel refuses to create files for unmapped ids).
    if (::setresgid(0, 0, 0) != 0) {
      return Fail(failure, "become gid 0 in the user namespace", "linux.gidMappings", errno);
    }
    if (::setresuid(0, 0, 0) != 0) {
      return Fail(failure, "become uid 0 in the user namespace", "linux.uidMappings", errno);
    }
    // A credential change clears the parent death signal.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
      return Fail(failure, "set the parent death signal", "", errno);
    }
  }
  // ENOSYS: a kernel without keyrings has nothing to share either (runc ignores it too).
  if (plan.new_session_keyring && ::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0 &&
      errno != ENOSYS) {
    return Fail(failure, "join a new session keyring", "", errno);
  }
  // Joined before the mount namespace is unshared, so each path is looked up where the
  // runtime checked it, and before sysfs is mounted and net.* sysctls are written, so those
  // show and change the joined network namespace.
  for (const NamespaceJoin& join : plan.namespaces.joins) {
    if (!JoinNamespace(join, failure)) return false;
  }
  // Only now: as the user namespace's root (they belong to it), and inside our cgroup (the
  // cgroup namespace's root is the container's cgroup).
  if (plan.namespaces.unshare_flags != 0 &&
      ::unshare(static_cast<int>(plan.namespaces.unshare_flags)) != 0) {
    return Fail(failure, "create the mount, uts, ipc, network or cgroup namespace",
                "linux.namespaces", errno);
  }
  ::umask(0);  // modes of mount points and device nodes are exactly as planned
  if (plan.namespaces.network && !BringLoopbackUp(failure)) return false;
  if (!SetUpRootfs(plan, failure)) return false;
  if (plan.set_hostname && ::sethostname(plan.hostname.data(), plan.hostname.size()) != 0) {
    return Fail(failure, "set the hostname", "hostname", errno);
  }
  if (plan.set_domainname && ::setdomainname(plan.domainname.data(), plan.domainname.size()) != 0) {
    return Fail(failure, "set the domain name", "domainname", errno);
  }
  if (!WriteSysctls(plan.sysctl, failure)) return false;
  if (!ApplyReadonlyPaths(plan, failure)) return false;
  if (!ApplyMaskedPaths(plan, failure)) return false;
  // runc creates a missing cwd (as root, before the user switch): WORKDIR semantics.
  const UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  const UniqueFd cwd(root.valid() ? MkdirAllInRoot(root.get(), plan.process.cwd.c_str()) : -1);
  if (!cwd.valid()) {
    return Fail2(failure, "create the working directory", "process.cwd", plan.process.cwd.c_str(),
                 errno);
  }
  return true;
}

}  // namespace

void RunContainerChild(const ContainerPlan& plan, char* const argv[], char* envp[], int sync_fd) {
  ChildFailure failure;
  if (!SetUp(plan, sync_fd, &failure)) {
    (void)::send(sync_fd, &failure, sizeof failure, MSG_NOSIGNAL);
    ::_exit(kSetupFailedStatus);
  }
  const pid_t child = ::fork();
  if (child < 0) {
    Fail(&failure, "fork the container process", "", errno);
    (void)::send(sync_fd, &failure, sizeof failure, MSG_NOSIGNAL);
    ::_exit(kSetupFailedStatus);
  }
  if (child == 0) ExecContainerProcess(plan, argv, envp, sync_fd);
  RunInit(child, sync_fd);
}

}  // namespace bt::executor::runtime
