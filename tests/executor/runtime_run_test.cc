// buildtool-runtime end to end: real containers from a busybox rootfs, checked from the
// inside (/proc/self/status, id, mountinfo) and from the outside (exit status, host
// processes, cgroups). Expected values come from the runtime-spec and from what runc does
// on the same bundle (runtime_differential_test.cc compares the two directly). Needs root and
// namespaces; skips loudly without them.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/runtime_bundle.h"

namespace bt::test {
namespace {

using nlohmann::json;

constexpr const char* kRuntime = BT_RUNTIME_BIN;

#define RUNTIME_TEST_PRECONDITIONS() BT_SKIP_TEST_IF("buildtool-runtime test", RuntimeSkipReason())

CommandResult RunSh(const std::string& script, const std::function<void(json&)>& edit = {},
                    const std::string& name = "sh") {
  RuntimeBundle b = MakeBundle({"sh", "-c", script});
  if (edit) edit(b.config);
  return b.Run(kRuntime, UniqueContainerId(name));
}

// The value of "Key:\t<value>" in /proc/self/status output.
std::string StatusField(const std::string& status, const std::string& key) {
  const std::size_t at = status.find(key + ":\t");
  if (at == std::string::npos) return "";
  const std::size_t start = at + key.size() + 2;
  return status.substr(start, status.find('\n', start) - start);
}

bool HostHasProcessWithArg(const std::string& arg) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string cmdline = ReadWholeFile(entry.path().string() + "/cmdline");
    if (cmdline.find(arg) != std::string::npos) return true;
  }
  return false;
}

TEST_CASE("the runtime exits with the process's status, 128+N for signal N",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  SECTION("0") { CHECK(RunSh("exit 0").status == 0); }
  SECTION("3") { CHECK(RunSh("exit 3").status == 3); }
  SECTION("SIGKILL") { CHECK(RunSh("kill -KILL $$").status == 128 + SIGKILL); }
  SECTION("SIGTERM from inside (the process is not PID 1, so the default action holds)") {
    CHECK(RunSh("kill -TERM $$").status == 128 + SIGTERM);
  }
}

TEST_CASE("stdout and stderr pass through unchanged", "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  const CommandResult r = RunSh("echo to-stdout; echo to-stderr >&2; printf 'no newline'");
  CHECK(r.status == 0);
  CHECK(r.out == "to-stdout\nno newline");
  CHECK(r.err == "to-stderr\n");
}

TEST_CASE("env, cwd, user and groups are the configured ones", "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  const CommandResult r = RunSh("id; pwd; echo \"FOO=$FOO\"; umask", [](json& c) {
    c["process"]["user"] = {
        {"uid", 1000}, {"gid", 1001}, {"additionalGids", {10, 20}}, {"umask", 63}};
    c["process"]["env"].push_back("FOO=bar baz");
    c["process"]["cwd"] = "/home/app/work";  // missing: created, as runc does
  });
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "uid=1000 gid=1001 groups=10,20\n/home/app/work\nFOO=bar baz\n0077\n");
}

TEST_CASE("the process runs as root with the configured ids in a writable cwd",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  const CommandResult r = RunSh("id; touch f; ls -ln f | awk '{print $3, $4}'", [](json& c) {
    c["process"]["user"] = {{"uid", 0}, {"gid", 0}, {"additionalGids", {1, 2, 3}}};
    c["process"]["cwd"] = "/tmp";
  });
  CHECK(r.status == 0);
  CHECK(r.out == "uid=0 gid=0 groups=1,2,3\n0 0\n");
}

TEST_CASE("HOME comes from the image's /etc/passwd unless env sets it, as runc",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  RuntimeBundle b = MakeBundle({"sh", "-c", "echo $HOME"});
  std::ofstream(b.rootfs() + "/etc/passwd")
      << "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
  CHECK(b.Run(kRuntime, UniqueContainerId("home0")).out == "/root\n");
  b.config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  CHECK(b.Run(kRuntime, UniqueContainerId("home1")).out == "/home/app\n");
  b.config["process"]["user"] = {{"uid", 1234}, {"gid", 1234}};
  CHECK(b.Run(kRuntime, UniqueContainerId("home2")).out == "/\n");
  b.config["process"]["env"].push_back("HOME=/custom");
  CHECK(b.Run(kRuntime, UniqueContainerId("home3")).out == "/custom\n");
}

TEST_CASE("another user can reopen its stdio pipes, as with runc",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  RuntimeBundle b = MakeBundle(
      {"sh", "-c", "echo via-dev-stdout > /dev/stdout; echo via-dev-stderr > /dev/stderr"});
  b.config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  b.WriteConfig();
  // stdout and stderr are pipes owned by root, as when buildtool's executor runs a step.
  const CommandResult r =
      RunCommand({"sh", "-c", "\"$0\" --root \"$1/state\" run --bundle \"$1\" \"$2\" 2>&1 | cat",
                  kRuntime, b.path(), UniqueContainerId("stdio")},
                 b.path());
  CHECK(r.out == "via-dev-stdout\nvia-dev-stderr\n");
}

TEST_CASE("the hostname is set in the container's own uts namespace",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const CommandResult r = RunSh("hostname; cat /proc/sys/kernel/domainname",
                                [](json& c) { c["domainname"] = "example.org"; });
  CHECK(r.out == "buildkitsandbox\nexample.org\n");
  char after[256] = {};
  ::gethostname(after, sizeof after - 1);
  CHECK(std::string(host) == after);
}

TEST_CASE("capability sets are the configured ones", "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  SECTION("BuildKit's default: 14 capabilities, nothing inheritable or ambient") {
    const CommandResult r = RunSh("cat /proc/self/status");
    CHECK(StatusField(r.out, "CapBnd") == "00000000a80425fb");
    CHECK(StatusField(r.out, "CapEff") == "00000000a80425fb");
    CHECK(StatusField(r.out, "CapPrm") == "00000000a80425fb");
    CHECK(StatusField(r.out, "CapInh") == "0000000000000000");
    CHECK(StatusField(r.out, "CapAmb") == "0000000000000000");
  }
  SECTION("a non-root user keeps only its ambient capabilities across execve") {
    const CommandResult r = RunSh("cat /proc/self/status", [](json& c) {
      c["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
      c["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN", "CAP_NET_BIND_SERVICE"}},
                                      {"effective", {"CAP_CHOWN", "CAP_NET_BIND_SERVICE"}},
                                      {"permitted", {"CAP_CHOWN", "CAP_NET_BIND_SERVICE"}},
                                      {"inheritable", {"CAP_NET_BIND_SERVICE"}},
                                      {"ambient", {"CAP_NET_BIND_SERVICE"}}};
    });
    INFO(r.err);
    CHECK(StatusField(r.out, "CapBnd") == "0000000000000401");
    CHECK(StatusField(r.out, "CapEff") == "0000000000000400");
    CHECK(StatusField(r.out, "CapAmb") == "0000000000000400");
    CHECK(StatusField(r.out, "CapInh") == "0000000000000400");
  }
  SECTION("an ambient capability that is not inheritable is an error, not silently dropped") {
    const CommandResult r =
        RunSh("true", [](json& c) { c["process"]["capabilities"]["ambient"] = {"CAP_KILL"}; });
    CHECK(r.status == 125);
    CHECK(r.err.find("process.capabilities.ambient CAP_KILL") != std::string::npos);
  }
}

TEST_CASE("no_new_privs is set only when asked for", "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  CHECK(StatusField(RunSh("cat /proc/self/status").out, "NoNewPrivs") == "0");
  const CommandResult r =
      RunSh("cat /proc/self/status", [](json& c) { c["process"]["noNewPrivileges"] = true; });
  CHECK(StatusField(r.out, "NoNewPrivs") == "1");
}

TEST_CASE("oomScoreAdj is set for the container", "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  CHECK(RunSh("cat /proc/self/oom_score_adj", [](json& c) {
          c["process"]["oomScoreAdj"] = 500;
        }).out == "500\n");
}

TEST_CASE("rlimits apply to the process", "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  CHECK(RunSh("ulimit -n").out == "1024\n");
  const CommandResult r = RunSh("ulimit -n; ulimit -Hn; ulimit -c", [](json& c) {
    c["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"hard", 512}, {"soft", 256}},
                               {{"type", "RLIMIT_CORE"}, {"hard", 0}, {"soft", 0}}};
  });
  CHECK(r.out == "256\n512\n0\n");
}

TEST_CASE("masked paths read as empty and read-only paths refuse writes",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  const CommandResult r = RunSh(
      "wc -c < /proc/keys; wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l; "
      "if cat /proc/kcore > /dev/null 2>&1; then echo kcore-readable; else echo kcore-unreadable; "
      "fi; "
      "echo c > /proc/sysrq-trigger 2>&1 || echo sysrq-refused; "
      "echo x > /proc/sys/kernel/domainname 2>&1 || echo sysctl-refused; "
      "touch /sys/x 2>/dev/null || echo sys-refused; touch /sys/fs/cgroup/x 2>/dev/null || echo "
      "cgroup-refused");
  INFO(r.err);
  CHECK(r.out ==
        "0\n0\n0\nkcore-unreadable\nsysrq-refused\nsysctl-refused\nsys-refused\ncgroup-refused\n");
  CHECK(r.err.find("Read-only file system") != std::string::npos);
}

TEST_CASE("/proc belongs to the container's pid namespace, with our init as PID 1",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  const CommandResult r =
      RunSh("echo $$; tr '\\0' ' ' < /proc/1/cmdline; echo; ps -o pid,comm | grep '^ *1 '");
  const std::string init = std::string(kRuntime) + " --root ";
  CHECK(r.out.rfind("2\n" + init, 0) == 0);
  CHECK(r.out.find("\n    1 buildtool-runti\n") != std::string::npos);
}

TEST_CASE("the init holds only stdio, only CAP_KILL, and cannot be inspected",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  // SECURITY.md case 5 (CVE-2019-5736, CVE-2016-9962): even the container's root cannot
  // reach the runtime binary or the init's descriptors.
  const CommandResult r = RunSh(
      "ls /proc/1/fd | tr '\\n' ' '; echo; readlink /proc/1/exe || echo exe-denied; "
      "readlink /proc/1/fd/1 || echo fd-denied; echo > /proc/1/exe || echo write-denied; "
      "grep -E '^Cap(Eff|Bnd)' /proc/1/status");
  CHECK(r.out ==
        "0 1 2 \nexe-denied\nfd-denied\nwrite-denied\nCapEff:\t0000000000000020\n"
        "CapBnd:\t0000000000000020\n");
}

TEST_CASE("seccomp denies a listed syscall with its errno", "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  const auto seccomp = [](json& c) {
    c["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
        {"syscalls",
         {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 18}},
          {{"names", {"sethostname"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
  };
  SECTION("without no_new_privs (loaded while CAP_SYS_ADMIN is held)") {
    const CommandResult r =
        RunSh("mkdir /tmp/d; grep -E '^Seccomp:' /proc/self/status; hostname x", seccomp);
    CHECK(r.out == "Seccomp:\t2\n");
    CHECK(r.err.find("Invalid cross-device link") != std::string::npos);  // EXDEV = 18
    CHECK(r.err.find("Operation not permitted") != std::string::npos);    // the default EPERM
  }
  SECTION("with no_new_privs, as an unprivileged user") {
    const CommandResult r =
        RunSh("mkdir /tmp/d; grep -E '^Seccomp:' /proc/self/status", [&](json& c) {
          seccomp(c);
          c["process"]["noNewPrivileges"] = true;
          c["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
        });
    CHECK(r.out == "Seccomp:\t2\n");
    CHECK(r.err.find("Invalid cross-device link") != std::string::npos);
  }
}

TEST_CASE("a new network namespace has only a loopback that is up",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  const CommandResult r = RunSh(
      "ls /sys/class/net; cat /sys/class/net/lo/flags; ping -c 1 -W 2 127.0.0.1 > /dev/null && "
      "echo ping-ok");
  INFO(r.err);
  // IFF_UP (0x1) | IFF_LOOPBACK (0x8) | IFF_RUNNING (0x40)
  CHECK(r.out == "lo\n0x9\nping-ok\n");
}

TEST_CASE("a process left behind by the step is gone when the run ends",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  const std::string marker = "98765" + std::to_string(::getpid() % 1000);
  const CommandResult r =
      RunSh("setsid sleep " + marker + " & sleep " + marker + "1 & echo started");
  CHECK(r.status == 0);
  CHECK(r.out == "started\n");
  CHECK_FALSE(HostHasProcessWithArg(marker));
}

TEST_CASE("the init reaps orphans while the process runs", "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  // The subshell's sleep is orphaned and re-parented to PID 1; once it exits only the init
  // can reap it.
  const CommandResult r = RunSh("(sleep 0.2 &); sleep 1; ps -o stat | grep -c Z");
  CHECK(r.out == "0\n");
}

TEST_CASE("signals sent to the runtime reach the process", "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  RuntimeBundle b =
      MakeBundle({"sh", "-c", "trap 'echo got-term; exit 7' TERM; echo ready; sleep 30 & wait"});
  b.WriteConfig();
  const std::string id = UniqueContainerId("signal");
  std::thread killer([&] {
    // Wait for "ready", then signal every buildtool-runtime of this bundle.
    for (int i = 0; i < 200; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(b.path(), ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("cmd", 0) == 0 && name.find(".out") != std::string::npos &&
            ReadWholeFile(entry.path().string()).find("ready") != std::string::npos) {
          for (const auto& p : std::filesystem::directory_iterator("/proc", ec)) {
            const std::string cmdline = ReadWholeFile(p.path().string() + "/cmdline");
            if (cmdline.rfind(kRuntime, 0) == 0 && cmdline.find(id) != std::string::npos) {
              // The first match is the runtime (the init is its clone with the same
              // command line, but lives in the container: signalling it would do too).
              ::kill(std::stoi(p.path().filename().string()), SIGTERM);
              return;
            }
          }
        }
      }
    }
  });
  const CommandResult r = RunCommand(
      {kRuntime, "--root", b.path() + "/state", "run", "--bundle", b.path(), id}, b.path());
  killer.join();
  CHECK(r.out == "ready\ngot-term\n");
  CHECK(r.status == 7);
}

TEST_CASE("a pids limit stops a fork bomb", "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  if (::access("/sys/fs/cgroup/pids", F_OK) != 0 &&
      ::access("/sys/fs/cgroup/cgroup.controllers", F_OK) != 0) {
    WARN("SKIPPED: no pids cgroup controller on this host");
    return;
  }
  const CommandResult r =
      RunSh("for i in 1 2 3 4 5 6 7 8 9 10; do sleep 2 & done; wait; echo done", [](json& c) {
        c["linux"]["resources"] = {{"pids", {{"limit", 5}}}};
      });
  INFO(r.err);
  if (r.status == 125) {
    WARN("SKIPPED: the pids limit cannot be applied here: " << r.err);
    return;
  }
  CHECK(r.err.find("can't fork") != std::string::npos);
  // The container's cgroup is removed with it.
  CHECK(::access(("/sys/fs/cgroup/pids/" + UniqueContainerId("sh")).c_str(), F_OK) != 0);
}

TEST_CASE("device rules deny a block device the container made itself",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  const auto deny_all = [](json& c) {
    // containerd's default: deny everything; runc's defaults are added after it.
    c["linux"]["resources"] = {{"devices", {{{"allow", false}, {"access", "rwm"}}}}};
  };
  const CommandResult r = RunSh(
      "mknod /tmp/vda b 253 0 && echo mknod-ok; head -c 1 /tmp/vda > /dev/null || echo "
      "open-refused; "
      "echo x > /dev/null && head -c 1 /dev/zero | wc -c",
      deny_all);
  if (::access("/sys/fs/cgroup/devices", F_OK) != 0) {
    CHECK(r.status == 125);
    CHECK(r.err.find("linux.resources.devices") != std::string::npos);
    WARN("SKIPPED: no cgroup v1 devices controller; device rules are refused as expected");
    return;
  }
  INFO(r.err);
  CHECK(r.out == "mknod-ok\nopen-refused\n1\n");
  CHECK(r.err.find("Operation not permitted") != std::string::npos);
}

TEST_CASE("errors also go to --log, in runc's text or json format",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  RuntimeBundle b = MakeBundle({"true"});
  b.config["linux"]["intelRdt"] = {{"closID", "x"}};
  b.WriteConfig();
  const std::string log = b.path() + "/runtime.log";
  const CommandResult r =
      RunCommand({kRuntime, "--log", log, "--log-format", "json", "--root", b.path() + "/state",
                  "run", "-b", b.path(), UniqueContainerId("log")},
                 b.path());
  CHECK(r.status == 125);
  const json line = json::parse(ReadWholeFile(log));
  CHECK(line["level"] == "error");
  CHECK(line["msg"] == "linux.intelRdt: not implemented by buildtool-runtime (Intel RDT)");
}

TEST_CASE("a user namespace maps the container's root to the configured host ids",
          "[executor][runtime_run][root]") {
  BT_SKIP_TEST_IF("user namespace test", UserNamespaceSkipReason());
  RuntimeBundle b = MakeBundle(
      {"sh", "-c",
       "id; cat /proc/self/uid_map /proc/self/gid_map; ls -ln /bin/busybox | awk '{print $3}'"});
  // The container's root is host uid 100000: it must be able to reach the rootfs.
  ::chmod(b.path().c_str(), 0755);
  b.config["linux"]["namespaces"].push_back({{"type", "user"}});
  b.config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  b.config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  const CommandResult r = b.Run(kRuntime, UniqueContainerId("userns"));
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out ==
        "uid=0 gid=0\n"
        "         0     100000      65536\n"
        "         0     100000      65536\n"
        "65534\n");  // host root is not mapped: the rootfs' files belong to nobody
}

TEST_CASE("sysfs in a user namespace without a network namespace is the host's, bound read-only",
          "[executor][runtime_run][root]") {
  BT_SKIP_TEST_IF("user namespace test", UserNamespaceSkipReason());
  RuntimeBundle b =
      MakeBundle({"sh", "-c",
                  "awk '$5 == \"/sys\"' /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1; "
                  "touch /sys/x 2>/dev/null || echo sys-ro"});
  ::chmod(b.path().c_str(), 0755);
  b.config["linux"]["namespaces"] = {{{"type", "pid"}},
                                     {{"type", "ipc"}},
                                     {{"type", "uts"}},
                                     {{"type", "mount"}},
                                     {{"type", "user"}}};
  b.config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  b.config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  const CommandResult r = b.Run(kRuntime, UniqueContainerId("usersys"));
  INFO(r.err);
  CHECK(r.out == "sysfs\nsys-ro\n");
}

TEST_CASE("an unprivileged user runs a rootless container in its own user namespace",
          "[executor][runtime_run][root]") {
  BT_SKIP_TEST_IF("user namespace test", UserNamespaceSkipReason());
  if (::access("/usr/bin/setpriv", X_OK) != 0) {
    WARN("SKIPPED: needs setpriv (util-linux) to drop to an unprivileged user");
    return;
  }
  RuntimeBundle b =
      MakeBundle({"sh", "-c", "id; cat /proc/self/uid_map; grep CapEff /proc/self/status"});
  ::chmod(b.path().c_str(), 0755);
  ::mkdir((b.path() + "/state").c_str(), 0777);
  ::chmod((b.path() + "/state").c_str(), 0777);
  // runc spec --rootless: no gid= for devpts (gid 5 is not mapped), /sys bound from the host.
  json& mounts = b.config["mounts"];
  mounts[2]["options"] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
  mounts[5] = {{"destination", "/sys"},
               {"type", "none"},
               {"source", "/sys"},
               {"options", {"rbind", "nosuid", "noexec", "nodev", "ro"}}};
  b.config["linux"]["namespaces"] = {{{"type", "pid"}},
                                     {{"type", "ipc"}},
                                     {{"type", "uts"}},
                                     {{"type", "mount"}},
                                     {{"type", "user"}}};
  b.config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 65534}, {"size", 1}}};
  b.config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 65534}, {"size", 1}}};
  b.WriteConfig();
  const CommandResult r = RunCommand(
      {"/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", kRuntime,
       "--root", b.path() + "/state", "run", "--bundle", b.path(), UniqueContainerId("rootless")},
      b.path());
  if (r.status != 0 && r.err.find("user namespace") != std::string::npos) {
    WARN("SKIPPED: unprivileged user namespaces are not allowed here: " << r.err);
    return;
  }
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "uid=0 gid=0\n         0      65534          1\nCapEff:\t00000000a80425fb\n");
}

TEST_CASE("mounts: read-only binds, tmpfs sizes, a read-only root",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  RuntimeBundle b = MakeBundle(
      {"sh", "-c",
       "cat /data/in; echo x > /data/out 2>/dev/null || echo bind-ro; "
       "df -k /scratch | tail -1 | awk '{print $2}'; echo ok > /scratch/f && cat /scratch/f; "
       "touch /newfile 2>/dev/null || echo root-ro; ls -l /dev/null | cut -c1; readlink "
       "/dev/ptmx"});
  ::mkdir((b.path() + "/data").c_str(), 0755);
  std::ofstream(b.path() + "/data/in") << "from-host\n";
  b.config["mounts"].push_back({{"destination", "/data"},
                                {"type", "bind"},
                                {"source", "data"},
                                {"options", {"rbind", "ro"}}});
  b.config["mounts"].push_back({{"destination", "/scratch"},
                                {"type", "tmpfs"},
                                {"source", "tmpfs"},
                                {"options", {"size=1m", "mode=1777"}}});
  b.config["root"]["readonly"] = true;
  const CommandResult r = b.Run(kRuntime, UniqueContainerId("mounts"));
  INFO(r.err);
  CHECK(r.out == "from-host\nbind-ro\n1024\nok\nroot-ro\nc\npts/ptmx\n");
  CHECK(::access((b.path() + "/data/out").c_str(), F_OK) != 0);
  CHECK(::access((b.rootfs() + "/scratch").c_str(), F_OK) == 0);  // the mount point was created
}

TEST_CASE("a mount target behind an image symlink stays inside the rootfs",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  RuntimeBundle b = MakeBundle({"sh", "-c", "ls /x"});
  ::symlink("/", (b.rootfs() + "/a").c_str());
  ::symlink("../../../../../../..", (b.rootfs() + "/b").c_str());
  const std::string host_target = "/bt-runtime-escape-" + std::to_string(::getpid());
  b.config["mounts"].push_back({{"destination", "/a/x"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  b.config["mounts"].push_back(
      {{"destination", "/b" + host_target}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  const CommandResult r = b.Run(kRuntime, UniqueContainerId("symlinks"));
  CHECK(r.status == 0);
  CHECK(::access((b.rootfs() + "/x").c_str(), F_OK) == 0);
  CHECK(::access((b.rootfs() + host_target).c_str(), F_OK) == 0);
  CHECK(::access(host_target.c_str(), F_OK) != 0);
}

TEST_CASE("a symlinked /proc in the image is refused", "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  RuntimeBundle b = MakeBundle({"true"});
  ::rmdir((b.rootfs() + "/proc").c_str());
  ::symlink("/tmp", (b.rootfs() + "/proc").c_str());
  const CommandResult r = b.Run(kRuntime, UniqueContainerId("procsymlink"));
  CHECK(r.status == 125);
  CHECK(r.err.find("mounts[0] /proc") != std::string::npos);
  CHECK(r.err.find("Too many levels of symbolic links") != std::string::npos);
}

TEST_CASE("namespaced sysctls are written, others refused before the start",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  CHECK(RunSh("cat /proc/sys/net/ipv4/ip_forward", [](json& c) {
          c["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
        }).out == "1\n");
  const CommandResult r = RunSh("true", [](json& c) {
    c["linux"]["sysctl"] = {{"kernel.core_pattern", "|/x"}};
  });
  CHECK(r.status == 125);
  CHECK(r.err.find("linux.sysctl.kernel.core_pattern") != std::string::npos);
}

TEST_CASE("configuration errors name the field and exit 125", "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  SECTION("an unsupported field") {
    const CommandResult r = RunSh("true", [](json& c) {
      c["linux"]["intelRdt"] = {{"closID", "x"}};
    });
    CHECK(r.status == 125);
    CHECK(r.err ==
          "buildtool-runtime: linux.intelRdt: not implemented by buildtool-runtime (Intel RDT)\n");
  }
  SECTION("an unknown mount option") {
    const CommandResult r =
        RunSh("true", [](json& c) { c["mounts"][1]["options"].push_back("hugepages"); });
    CHECK(r.status == 125);
    CHECK(r.err.find("mounts[1].options[4]: \"hugepages\"") != std::string::npos);
  }
  SECTION("a program that does not exist: 127, as a shell") {
    RuntimeBundle b = MakeBundle({"/no/such/program"});
    const CommandResult r = b.Run(kRuntime, UniqueContainerId("enoent"));
    CHECK(r.status == 127);
    CHECK(r.err.find("exec process.args[0] /no/such/program: No such file or directory") !=
          std::string::npos);
  }
  SECTION("a program that is not executable: 126") {
    const CommandResult r = RunSh("true", [](json& c) { c["process"]["args"] = {"/etc"}; });
    CHECK(r.status == 126);
  }
}

TEST_CASE("one container id runs once at a time per state directory",
          "[executor][runtime_run][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  RuntimeBundle b = MakeBundle({"sleep", "3"});
  b.WriteConfig();
  const std::string id = UniqueContainerId("twice");
  std::thread first([&] {
    RunCommand({kRuntime, "--root", b.path() + "/state", "run", "-b", b.path(), id}, b.path());
  });
  // The first run holds the id's lock once its lock file exists.
  const std::string lock_file = b.path() + "/state/" + id + ".lock";
  for (int i = 0; i < 200 && ::access(lock_file.c_str(), F_OK) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const CommandResult second =
      RunCommand({kRuntime, "--root", b.path() + "/state", "run", "-b", b.path(), id}, b.path());
  first.join();
  CHECK(second.status == 125);
  CHECK(second.err.find("already running") != std::string::npos);
}

}  // namespace
}  // namespace bt::test
