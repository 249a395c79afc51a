/* The static helper of SECURITY.md case 2 (seccomp-denials), run inside a test container: it
 * makes the calls the moby default profile refuses and some it must keep allowing, each with
 * raw syscall(2) numbers in a child process of its own (so a call that unexpectedly works, such
 * as unshare or chroot, changes nothing for the next one), and prints one line per call:
 * "<call>: ok" or "<call>: <errno name>". The first line is the Seccomp mode from
 * /proc/self/status. Built with -static so it runs in any rootfs. Run as root on a host it
 * would really mount and unshare there, so it refuses to run unless it is PID 1 or 2 of a PID
 * namespace (runc and crun exec the process as PID 1; buildtool-runtime, under its init, as
 * PID 2). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* From the kernel's uapi headers, spelled out so the probe needs only libc's. */
#define KEYCTL_GET_KEYRING_ID 0
#define KEY_SPEC_PROCESS_KEYRING (-2)
#define KEY_SPEC_SESSION_KEYRING (-3)
#define UFFD_USER_MODE_ONLY 1
#define BPF_MAP_CREATE 0
#define READ_IMPLIES_EXEC 0x0400000

/* struct clone_args, version 0 (64 bytes). */
struct probe_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static const char* ErrnoName(int e) {
  static char other[32];
  if (e == 0) return "ok";
  if (strerrorname_np(e) != NULL) return strerrorname_np(e); /* "EPERM" (glibc 2.32) */
  snprintf(other, sizeof other, "errno %d", e);
  return other;
}

/* A child process that exits at once, as fork(2) would make it: 0 on success, else errno. */
static int ForkClone(unsigned long flags) {
  const long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) return errno;
  if (pid == 0) _exit(0);
  waitpid((pid_t)pid, NULL, 0);
  return 0;
}

static int CloneNoFlags(void) { return ForkClone(0); }
static int CloneNewNs(void) { return ForkClone(CLONE_NEWNS); }

static int Clone3(void) {
  struct probe_clone_args args;
  memset(&args, 0, sizeof args);
  args.exit_signal = SIGCHLD;
  const long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return errno;
  if (pid == 0) _exit(0);
  waitpid((pid_t)pid, NULL, 0);
  return 0;
}

static int GetPid(void) { return syscall(SYS_getpid) > 0 ? 0 : errno; }

static int File(void) {
  const int fd =
      (int)syscall(SYS_openat, AT_FDCWD, "/tmp/probe-file", O_CREAT | O_RDWR | O_TRUNC, 0600);
  if (fd < 0) return errno;
  char c = 0;
  if (syscall(SYS_write, fd, "x", 1) != 1 || syscall(SYS_lseek, fd, 0, SEEK_SET) != 0 ||
      syscall(SYS_read, fd, &c, 1) != 1 || c != 'x') {
    return errno != 0 ? errno : EINVAL;
  }
  close(fd);
  return 0;
}

static int Unshare(void) { return syscall(SYS_unshare, CLONE_NEWUSER) == 0 ? 0 : errno; }

static int Mount(void) {
  mkdir("/tmp/probe-mnt", 0700);
  return syscall(SYS_mount, "tmpfs", "/tmp/probe-mnt", "tmpfs", 0, NULL) == 0 ? 0 : errno;
}

static int Keyctl(void) {
  return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) >= 0 ? 0 : errno;
}

static int AddKey(void) {
  return syscall(SYS_add_key, "user", "bt-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING) >= 0 ? 0
                                                                                         : errno;
}

static int IoUringSetup(void) {
  unsigned char params[120]; /* struct io_uring_params */
  memset(params, 0, sizeof params);
  return syscall(SYS_io_uring_setup, 1, params) >= 0 ? 0 : errno;
}

static int Bpf(void) {
  unsigned char attr[128]; /* union bpf_attr, zeroed: an invalid map */
  memset(attr, 0, sizeof attr);
  return syscall(SYS_bpf, BPF_MAP_CREATE, attr, sizeof attr) >= 0 ? 0 : errno;
}

static int Userfaultfd(void) {
  return syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY) >= 0 ? 0 : errno;
}

static int KexecLoad(void) { return syscall(SYS_kexec_load, 0, 0, NULL, 0) == 0 ? 0 : errno; }

static int Socket(int family, int type) {
  return syscall(SYS_socket, family, type, 0) >= 0 ? 0 : errno;
}
static int SocketVsock(void) { return Socket(AF_VSOCK, SOCK_STREAM); }
static int SocketAlg(void) { return Socket(AF_ALG, SOCK_SEQPACKET); }
static int SocketInet(void) { return Socket(AF_INET, SOCK_STREAM); }
static int SocketUnix(void) { return Socket(AF_UNIX, SOCK_STREAM); }

static int PersonalityQuery(void) {
  return syscall(SYS_personality, 0xffffffffUL) >= 0 ? 0 : errno;
}
static int PersonalityReadImpliesExec(void) {
  return syscall(SYS_personality, READ_IMPLIES_EXEC) >= 0 ? 0 : errno;
}

static int Chroot(void) { return syscall(SYS_chroot, "/") == 0 ? 0 : errno; }

/* Runs `call` in a child process; its exit status carries the errno. */
static void Probe(const char* name, int (*call)(void)) {
  fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) _exit(call());
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
    printf("%s: probe failed\n", name);
    return;
  }
  printf("%s: %s\n", name, ErrnoName(WEXITSTATUS(status)));
}

int main(void) {
  if (getpid() > 2) {
    fprintf(stderr, "syscall_probe: not the process of a container (pid %d); refusing to run\n",
            (int)getpid());
    return 2;
  }
  char line[256];
  FILE* status = fopen("/proc/self/status", "r");
  while (status != NULL && fgets(line, sizeof line, status) != NULL) {
    if (strncmp(line, "Seccomp:", 8) == 0)
      printf("seccomp: %s", line + 8 + strspn(line + 8, "\t "));
  }
  if (status != NULL) fclose(status);
  Probe("getpid", GetPid);
  Probe("open/write/read", File);
  Probe("clone", CloneNoFlags);
  Probe("clone(CLONE_NEWNS)", CloneNewNs);
  Probe("clone3", Clone3);
  Probe("unshare(CLONE_NEWUSER)", Unshare);
  Probe("mount(tmpfs)", Mount);
  Probe("keyctl", Keyctl);
  Probe("add_key", AddKey);
  Probe("io_uring_setup", IoUringSetup);
  Probe("bpf", Bpf);
  Probe("userfaultfd", Userfaultfd);
  Probe("kexec_load", KexecLoad);
  Probe("socket(AF_VSOCK)", SocketVsock);
  Probe("socket(AF_ALG)", SocketAlg);
  Probe("socket(AF_INET)", SocketInet);
  Probe("socket(AF_UNIX)", SocketUnix);
  Probe("personality(query)", PersonalityQuery);
  Probe("personality(READ_IMPLIES_EXEC)", PersonalityReadImpliesExec);
  Probe("chroot", Chroot);
  return 0;
}
