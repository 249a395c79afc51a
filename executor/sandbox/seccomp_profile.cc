// moby's default seccomp profile as a table, and its resolution for one step.
//
// The table follows github.com/moby/profiles seccomp/default_linux.go at tag seccomp/v0.2.3
// (commit 836ae4d37ef2, 2026-05-06; default.json is the same at cd3bed8061c7), row by row and in
// the same order, so the output can be diffed against moby's GetDefaultProfile. Left out: the
// rows for ppc64le, s390/s390x (its clone rule checks arg 1) and riscv64, architectures
// buildtool does not build on; with an unknown `arch` moby would not apply them either.
//
// Resolution is moby's setupSeccomp: a rule is dropped when the step matches any of its
// `excludes` (one of the capabilities held, or the architecture listed), or misses one of its
// `includes` (every capability must be held; the architecture must be listed). Capabilities
// are those of the bounding set. The one kernel condition (ptrace and process_vm_* need 4.8,
// before which ptrace could bypass seccomp) always holds: buildtool needs openat2 (5.6).
#include "executor/sandbox/seccomp_profile.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>

namespace bt::executor {
namespace {

using nlohmann::json;

// The socket rules allow every family below AF_ALG, the one between, and every one above
// AF_VSOCK; moby checks the same layout at compile time.
static_assert(AF_ALG == 38 && AF_VSOCK == 40);

// The namespace flags clone(2) may not carry without CAP_SYS_ADMIN.
constexpr std::uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                                          CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                          CLONE_NEWCGROUP;
static_assert(kNamespaceFlags == 0x7E020000);

constexpr std::uint64_t Cap(int n) { return std::uint64_t{1} << n; }

// One entry of moby's archMap, found by Go's GOARCH name: `native` is how the rules' `arches`
// conditions spell it, `seccomp` the main architecture and its sub-architectures.
struct Arch {
  std::string_view go;
  std::string_view native;
  std::string_view seccomp;  // space-separated
};
constexpr Arch kArches[] = {
    {"amd64", "amd64", "SCMP_ARCH_X86_64 SCMP_ARCH_X86 SCMP_ARCH_X32"},
    {"arm64", "arm64", "SCMP_ARCH_AARCH64 SCMP_ARCH_ARM"},
};

// moby's Filter: capabilities as bits (moby's rules name at most one), architectures
// space-separated by their native names.
struct Filter {
  std::uint64_t caps = 0;
  std::string_view arches;
};

// One argument condition (valueTwo is 0 in every rule of the profile).
struct ArgCheck {
  unsigned index = 0;
  std::uint64_t value = 0;
  std::string_view op;
};

// One rule of the profile, with its conditions; written as Allow("names").If(CAP_X) and so on.
struct Row {
  std::string_view names;       // space-separated
  std::uint32_t errno_ret = 0;  // 0: SCMP_ACT_ALLOW; else SCMP_ACT_ERRNO with this errno
  std::optional<ArgCheck> arg;
  Filter includes;
  Filter excludes;

  constexpr Row Arg(unsigned index, std::uint64_t value, std::string_view op) const {
    Row r = *this;
    r.arg = ArgCheck{index, value, op};
    return r;
  }
  constexpr Row If(int capability) const {
    Row r = *this;
    r.includes.caps = Cap(capability);
    return r;
  }
  constexpr Row OnArches(std::string_view arches) const {
    Row r = *this;
    r.includes.arches = arches;
    return r;
  }
  constexpr Row Unless(int capability) const {
    Row r = *this;
    r.excludes.caps = Cap(capability);
    return r;
  }
};

constexpr Row Allow(std::string_view names) {
  Row r;
  r.names = names;
  return r;
}

constexpr Row Errno(std::string_view names, std::uint32_t errno_ret) {
  Row r = Allow(names);
  r.errno_ret = errno_ret;
  return r;
}

// What every container may do, whatever its capabilities. A name that does not exist on an
// architecture matches nothing there; one the runtime's libseccomp does not know (a syscall of
// a newer kernel) is skipped by the runtime, as runc and crun do.
constexpr std::string_view kAllowed =
    "accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown "
    "chown32 clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime "
    "clock_gettime64 clock_nanosleep clock_nanosleep_time64 close close_range connect "
    "copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old "
    "epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit "
    "exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir "
    "fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr "
    "flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 "
    "fsync ftruncate ftruncate64 futex futex_requeue futex_time64 futex_wait futex_waitv "
    "futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid "
    "geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp "
    "getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 "
    "getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid "
    "gettimeofday getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init "
    "inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents "
    "io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule "
    "landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat "
    "listen listmount listxattr listxattrat llistxattr _llseek lremovexattr lseek lsetxattr "
    "lstat lstat64 madvise map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir "
    "mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify "
    "mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink "
    "mremap mseal msgctl msgget msgrcv msgsnd msync munlock munlockall munmap "
    "name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_open "
    "pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 "
    "prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 "
    "pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg "
    "recvmmsg_time64 recvmsg remap_file_pages removexattr removexattrat rename renameat "
    "renameat2 restart_syscall riscv_hwprobe rmdir rseq rt_sigaction rt_sigpending "
    "rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait "
    "rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam "
    "sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval "
    "sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam "
    "sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop "
    "semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 "
    "setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority "
    "setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 "
    "setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid "
    "setuid32 setxattr setxattrat shmat shmctl shmdt shmget shutdown sigaltstack signalfd "
    "signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 "
    "statmount statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time "
    "timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime "
    "timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime "
    "timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat "
    "uretprobe utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid "
    "write writev";

// The rows of default_linux.go, in its order.
constexpr Row kRows[] = {
    Allow(kAllowed),
    Allow("process_vm_readv process_vm_writev ptrace"),  // moby: minKernel 4.8 (see above)
    Allow("socket").Arg(0, AF_ALG, "SCMP_CMP_LT"),
    Allow("socket").Arg(0, AF_ALG + 1, "SCMP_CMP_EQ"),
    Allow("socket").Arg(0, AF_VSOCK, "SCMP_CMP_GT"),
    // PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and 0xffffffff, which only queries.
    Allow("personality").Arg(0, 0x0, "SCMP_CMP_EQ"),
    Allow("personality").Arg(0, 0x0008, "SCMP_CMP_EQ"),
    Allow("personality").Arg(0, 0x20000, "SCMP_CMP_EQ"),
    Allow("personality").Arg(0, 0x20008, "SCMP_CMP_EQ"),
    Allow("personality").Arg(0, 0xffffffff, "SCMP_CMP_EQ"),
    Allow("arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls")
        .OnArches("arm arm64"),
    Allow("arch_prctl").OnArches("amd64 x32"),
    Allow("modify_ldt").OnArches("amd64 x32 x86"),
    Allow("open_by_handle_at").If(CAP_DAC_READ_SEARCH),
    Allow("bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie "
          "lsm_get_self_attr lsm_list_modules lsm_set_self_attr mount mount_setattr move_mount "
          "open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog "
          "umount umount2 unshare")
        .If(CAP_SYS_ADMIN),
    // Without CAP_SYS_ADMIN, clone only without namespace flags (argument 0 on every
    // architecture here).
    Allow("clone").Arg(0, kNamespaceFlags, "SCMP_CMP_MASKED_EQ").Unless(CAP_SYS_ADMIN),
    // clone3's flags sit in memory a filter cannot read, so it is refused with ENOSYS, which
    // makes glibc fall back to clone.
    Errno("clone3", ENOSYS).Unless(CAP_SYS_ADMIN),
    Allow("reboot").If(CAP_SYS_BOOT),
    Allow("chroot").If(CAP_SYS_CHROOT),
    Allow("delete_module init_module finit_module").If(CAP_SYS_MODULE),
    Allow("acct").If(CAP_SYS_PACCT),
    Allow("kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace")
        .If(CAP_SYS_PTRACE),
    Allow("iopl ioperm").If(CAP_SYS_RAWIO),
    Allow("settimeofday stime clock_settime clock_settime64").If(CAP_SYS_TIME),
    Allow("vhangup").If(CAP_SYS_TTY_CONFIG),
    Allow("get_mempolicy mbind set_mempolicy set_mempolicy_home_node").If(CAP_SYS_NICE),
    Allow("syslog").If(CAP_SYSLOG),
    Allow("bpf").If(CAP_BPF),
    Allow("perf_event_open").If(CAP_PERFMON),
};

// Takes the first word off a space-separated list.
std::string_view NextWord(std::string_view* list) {
  const std::size_t end = std::min(list->find(' '), list->size());
  const std::string_view word = list->substr(0, end);
  list->remove_prefix(std::min(end + 1, list->size()));
  return word;
}

json Words(std::string_view list) {
  json words = json::array();
  while (!list.empty()) words.push_back(std::string(NextWord(&list)));
  return words;
}

bool Lists(std::string_view arches, std::string_view native) {
  while (!native.empty() && !arches.empty()) {
    if (NextWord(&arches) == native) return true;
  }
  return false;
}

bool Applies(const Row& row, std::uint64_t caps, std::string_view native) {
  if ((caps & row.excludes.caps) != 0 || Lists(row.excludes.arches, native)) return false;
  if ((caps & row.includes.caps) != row.includes.caps) return false;
  return row.includes.arches.empty() || Lists(row.includes.arches, native);
}

json ToJson(const Row& row) {
  json rule = {{"names", Words(row.names)}};
  if (row.errno_ret == 0) {
    rule["action"] = "SCMP_ACT_ALLOW";
  } else {
    rule["action"] = "SCMP_ACT_ERRNO";
    rule["errnoRet"] = row.errno_ret;
  }
  if (row.arg) {
    rule["args"] = json::array(
        {{{"index", row.arg->index}, {"value", row.arg->value}, {"op", std::string(row.arg->op)}}});
  }
  return rule;
}

}  // namespace

json DefaultSeccompProfile(std::uint64_t capability_bits, std::string_view arch) {
  json profile = {{"defaultAction", "SCMP_ACT_ERRNO"}, {"defaultErrnoRet", EPERM}};
  std::string_view native;
  for (const Arch& a : kArches) {
    if (a.go != arch) continue;
    native = a.native;
    profile["architectures"] = Words(a.seccomp);
  }
  json syscalls = json::array();
  for (const Row& row : kRows) {
    if (Applies(row, capability_bits, native)) syscalls.push_back(ToJson(row));
  }
  profile["syscalls"] = std::move(syscalls);
  return profile;
}

}  // namespace bt::executor
