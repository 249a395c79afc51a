// Bundles for the OCI runtime tests: a rootfs made from Debian's busybox-static (the binary
// and one symlink per applet, as `busybox --install -s` makes them, but pointing at
// /bin/busybox inside the rootfs), a config.json generator with BuildKit's defaults for a RUN
// step (SECURITY.md A1/A2), and a runner that captures a runtime's stdout, stderr and exit
// status. Used with buildtool-runtime, crun and runc alike. Header-only; one bundle per test.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/temp_dir.h"

namespace bt::test {

inline constexpr const char* kBusybox = "/bin/busybox";

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Why runtime tests cannot run here ("" when they can): they need root, Debian's
// busybox-static, and the namespaces a container gets (not available in a chroot or an
// unprivileged container).
inline std::string RuntimeSkipReason() {
  if (::geteuid() != 0) return "needs root (running as uid " + std::to_string(::geteuid()) + ")";
  if (::access(kBusybox, X_OK) != 0) {
    return "needs busybox-static at /bin/busybox (apt-get install busybox-static)";
  }
  // pivot_root needs "/" to be a mount point; in a chroot of a plain directory it is not.
  {
    std::istringstream mountinfo(ReadWholeFile("/proc/self/mountinfo"));
    bool root_mounted = false;
    for (std::string line; std::getline(mountinfo, line);) {
      std::istringstream fields(line);
      std::string id, parent, dev, root, mount_point;
      fields >> id >> parent >> dev >> root >> mount_point;
      root_mounted = root_mounted || mount_point == "/";
    }
    if (!root_mounted)
      return "\"/\" is not a mount point here (a chroot?), so pivot_root cannot work";
  }
  // util-linux's unshare(1) rather than the system call: kernel headers stay out of
  // tests/support (layering_test).
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_WRONLY);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    ::execlp("unshare", "unshare", "--mount", "--pid", "--uts", "--ipc", "--net", "--fork", "true",
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return "cannot create mount/pid/uts/ipc/net namespaces here (a chroot or a restricted "
           "container), or util-linux's unshare is missing";
  }
  return "";
}

// Why containers with a user namespace cannot run here ("" when they can): the kernel refuses
// CLONE_NEWUSER to a chrooted process, and a sysctl or container may forbid it.
inline std::string UserNamespaceSkipReason() {
  const std::string base = RuntimeSkipReason();
  if (!base.empty()) return base;
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_WRONLY);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    ::execlp("unshare", "unshare", "--user", "true", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return "cannot create a user namespace here (a chroot, or user namespaces disabled)";
  }
  return "";
}

// Ends the calling test with a loud warning (STYLE.md 2.11: tests that cannot run here say
// so) when `reason`, a string expression such as RuntimeSkipReason(), is not empty.
#define BT_SKIP_TEST_IF(what, reason)                 \
  do {                                                \
    const std::string bt_skip_reason_ = (reason);     \
    if (!bt_skip_reason_.empty()) {                   \
      WARN("SKIPPED: " << what << " " << bt_skip_reason_); \
      return;                                         \
    }                                                 \
  } while (0)

// The 14 capabilities of containerd's and BuildKit's default spec (CapBnd 00000000a80425fb).
inline nlohmann::json DefaultCapabilities() {
  return nlohmann::json::array({"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
                                "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
                                "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
                                "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"});
}

// config.json for `args` with BuildKit's RUN defaults: pid, ipc, uts, mount and network
// namespaces; the default capabilities in bounding, effective and permitted; containerd's
// masked and read-only paths and mounts; /sys/fs/cgroup read-only; RLIMIT_NOFILE 1024;
// hostname buildkitsandbox; no_new_privs off (SECURITY.md decision 2); no seccomp.
inline nlohmann::json DefaultConfig(const std::vector<std::string>& args) {
  using nlohmann::json;
  const json caps = DefaultCapabilities();
  return json{
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", args},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", false}}},
      {"root", {{"path", "rootfs"}, {"readonly", false}}},
      {"hostname", "buildkitsandbox"},
      {"mounts",
       {{{"destination", "/proc"},
         {"type", "proc"},
         {"source", "proc"},
         {"options", {"nosuid", "noexec", "nodev"}}},
        {{"destination", "/dev"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
        {{"destination", "/dev/pts"},
         {"type", "devpts"},
         {"source", "devpts"},
         {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
        {{"destination", "/dev/shm"},
         {"type", "tmpfs"},
         {"source", "shm"},
         {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
        {{"destination", "/dev/mqueue"},
         {"type", "mqueue"},
         {"source", "mqueue"},
         {"options", {"nosuid", "noexec", "nodev"}}},
        {{"destination", "/sys"},
         {"type", "sysfs"},
         {"source", "sysfs"},
         {"options", {"nosuid", "noexec", "nodev", "ro"}}},
        {{"destination", "/sys/fs/cgroup"},
         {"type", "cgroup"},
         {"source", "cgroup"},
         {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}}}},
      {"linux",
       {{"namespaces",
         {{{"type", "pid"}},
          {{"type", "ipc"}},
          {{"type", "uts"}},
          {{"type", "mount"}},
          {{"type", "network"}}}},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
          "/sys/devices/virtual/powercap", "/proc/scsi"}},
        {"readonlyPaths",
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}}};
}

struct CommandResult {
  int status = -1;  // exit status, 128+N for signal N
  std::string out;
  std::string err;
};

// Runs argv with stdout/stderr captured in files under `scratch`, stdin from `stdin_path`
// (/dev/null by default); stopped by SIGALRM after `timeout_s` seconds.
inline CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& scratch,
                                int timeout_s = 60, const std::string& stdin_path = "/dev/null") {
  static std::atomic<int> counter{0};
  const std::string base = scratch + "/cmd" + std::to_string(++counter);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int in = ::open(stdin_path.c_str(), O_RDONLY);
    const int out = ::open((base + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open((base + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::setpgid(0, 0);
    ::alarm(static_cast<unsigned>(timeout_s));
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  CommandResult r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadWholeFile(base + ".out");
  r.err = ReadWholeFile(base + ".err");
  return r;
}

// A bundle directory with a fresh busybox rootfs and an editable config.
class RuntimeBundle {
 public:
  // nullopt (with `why` set) when the rootfs cannot be made.
  static std::optional<RuntimeBundle> Create(const std::vector<std::string>& args,
                                             std::string* why) {
    Result<TempDir> dir = TempDir::Create("", "bt-runtime-");
    if (!dir) {
      *why = dir.error().message;
      return std::nullopt;
    }
    RuntimeBundle b(std::move(*dir));
    b.config = DefaultConfig(args);
    const std::string rootfs = b.path() + "/rootfs";
    for (const char* d : {"", "/bin", "/sbin", "/usr", "/usr/bin", "/usr/sbin", "/tmp", "/etc",
                          "/proc", "/sys", "/dev"}) {
      ::mkdir((rootfs + d).c_str(), 0755);
    }
    ::chmod((rootfs + "/tmp").c_str(), 01777);
    {
      std::ifstream src(kBusybox, std::ios::binary);
      std::ofstream dst(rootfs + "/bin/busybox", std::ios::binary);
      dst << src.rdbuf();
    }
    ::chmod((rootfs + "/bin/busybox").c_str(), 0755);
    const CommandResult list = RunCommand({kBusybox, "--list-full"}, b.path());
    std::istringstream applets(list.out);
    for (std::string applet; std::getline(applets, applet);) {
      if (!applet.empty()) ::symlink("/bin/busybox", (rootfs + "/" + applet).c_str());
    }
    if (::access((rootfs + "/bin/sh").c_str(), F_OK) != 0) {
      *why = "busybox --list-full gave no /bin/sh";
      return std::nullopt;
    }
    return b;
  }

  const std::string& path() const { return dir_.path(); }
  std::string rootfs() const { return dir_.path() + "/rootfs"; }

  void WriteConfig() const { std::ofstream(path() + "/config.json") << config.dump(2); }

  // Writes the config and runs `buildtool-runtime run`.
  CommandResult Run(const std::string& runtime, const std::string& id, int timeout_s = 60) const {
    WriteConfig();
    return RunCommand({runtime, "--root", path() + "/state", "run", "--bundle", path(), id}, path(),
                      timeout_s);
  }

  nlohmann::json config;

 private:
  explicit RuntimeBundle(TempDir dir) : dir_(std::move(dir)) {}
  TempDir dir_;
};

// A bundle for `args`; the calling test fails (REQUIRE) saying why when it cannot be made.
inline RuntimeBundle MakeBundle(const std::vector<std::string>& args) {
  std::string why;
  std::optional<RuntimeBundle> b = RuntimeBundle::Create(args, &why);
  INFO(why);
  REQUIRE(b.has_value());
  return std::move(*b);
}

// A container id unique to this test process.
inline std::string UniqueContainerId(const std::string& name) {
  return "bt-test-" + name + "-" + std::to_string(::getpid());
}

}  // namespace bt::test
