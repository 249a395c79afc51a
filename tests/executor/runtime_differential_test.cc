// buildtool-runtime against Debian's runc (1.1.5) and crun (1.8.1) on the same bundles
// (ARCHITECTURE.md: `--runtime crun|runc` must behave the same). A probe script prints what a
// RUN step can observe: ids and groups, the five capability sets, no_new_privs, seccomp mode,
// hostname, rlimits, umask, cwd, env, /dev, network interfaces, masked files, every mount
// point with its filesystem type and mount options; the outputs must be identical apart from
// the differences listed in Normalize (each with its reason). crun 1.8.1 refuses the hybrid
// cgroup layout, so it runs in a private mount namespace without /sys/fs/cgroup/unified, as
// ../shared/bench/limits.sh does. A runtime that is not installed or cannot run here is
// skipped loudly; runc and crun are references for behaviour, not an oracle for hostile
// rootfs cases (SECURITY.md decision 8).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/runtime_bundle.h"

namespace bt::test {
namespace {

using nlohmann::json;

constexpr const char* kProbe = R"PROBE(
echo "id: $(id)"
grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status
echo "hostname: $(hostname)"
echo "nofile: $(ulimit -n) $(ulimit -Hn)"
echo "core: $(ulimit -c)"
echo "umask: $(umask)"
echo "cwd: $(pwd)"
echo "env: $(env | sort | tr '\n' ' ')"
if cat /proc/kcore > /dev/null 2>&1; then echo "kcore: readable"; else echo "kcore: unreadable"; fi
echo "keys: $(cat /proc/keys 2>/dev/null | wc -c) bytes"
echo "timer_list: $(cat /proc/timer_list 2>/dev/null | wc -c) bytes"
echo "sysrq-trigger: $( (echo h > /proc/sysrq-trigger) 2>&1 | sed 's/.*: //')"
echo "mkdir: $(mkdir /tmp/probe-dir 2>&1 | sed 's/.*: //')"
rmdir /tmp/probe-dir 2>/dev/null
echo "dev: $(ls /dev | tr '\n' ' ')"
for f in /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/shm /dev/pts /dev/mqueue; do
  echo "stat: $(stat -c '%n %F %a %u %g %t:%T' $f)"
done
echo "ptmx: $(readlink /dev/ptmx)"
echo "net: $(ls /sys/class/net | tr '\n' ' ')"
sed 's/ - /|/' /proc/self/mountinfo |
  awk -F'|' '{ split($1, a, " "); split($2, b, " "); print "mount: " a[5] " " b[1] " " a[6] }' | sort
)PROBE";

struct Runtime {
  std::string name;
  std::vector<std::string> command;  // prefix; then --root STATE run --bundle B ID
};

std::string Which(const std::string& program) {
  for (const char* dir : {"/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"}) {
    const std::string path = std::string(dir) + "/" + program;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

// stdin is an empty file of the bundle, never the host's /dev/null: crun 1.8.1 chowns a
// /dev/null stdin to the container's root (host uid 100000 in the user-namespace bundle).
CommandResult RunWith(const Runtime& rt, const RuntimeBundle& b, const std::string& id) {
  b.WriteConfig();
  const std::string state = b.path() + "/state-" + rt.name;
  const std::string stdin_path = b.path() + "/stdin";
  std::ofstream{stdin_path};
  if (rt.name == "crun") {
    return RunCommand({"unshare", "--mount", "--propagation", "private", "sh", "-c",
                       "umount /sys/fs/cgroup/unified 2>/dev/null; exec \"$0\" --root \"$1\" run "
                       "--bundle \"$2\" \"$3\"",
                       rt.command[0], state, b.path(), id},
                      b.path(), 60, stdin_path);
  }
  std::vector<std::string> argv = rt.command;
  argv.insert(argv.end(), {"--root", state, "run", "--bundle", b.path(), id});
  return RunCommand(argv, b.path(), 60, stdin_path);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The differences that are known and accepted, each rewritten to one form:
//  - Masked paths: crun binds the host's /dev/null (devtmpfs, read-only); runc and we bind the
//    container's own /dev/null (on the /dev tmpfs), the inode we can check is 1:3. Only the
//    presence of the mask is compared.
//  - crun remounts the read-only paths with MS_RDONLY alone, dropping the nosuid, nodev and
//    noexec they inherit from /proc; runc and we keep them. Only "ro" is compared.
//  - crun adds nosuid,noexec to device nodes it bind-mounts in a user namespace; runc and we
//    bind them as they are.
//  - crun always makes /dev/core -> /proc/kcore; runc and we only when the host has
//    /proc/kcore (CONFIG_PROC_KCORE).
//  - runc and crun leave the tmpfs under /sys/fs/cgroup writable; we make it read-only as the
//    config asks (SECURITY.md case 3: touching a file in /sys/fs/cgroup must fail).
//  - In a user namespace runc's nsexec becomes uid 0 but keeps the unmapped gid while it
//    unshares the other namespaces, so the ipc namespace's mqueue root is 0:65534; crun and
//    we switch both ids first (0:0).
// What the probe cannot see differs too, by design: our init is PID 1 and the process PID 2,
// where runc and crun exec the process as PID 1 (ARCHITECTURE.md: an init that reaps zombies
// and forwards signals).
std::vector<std::string> Normalize(const std::string& runtime, const json& config,
                                   std::vector<std::string> lines) {
  const bool host_kcore = ::access("/proc/kcore", F_OK) == 0;
  const auto starts = [](const std::string& line, const std::string& prefix) {
    return line.rfind(prefix, 0) == 0;
  };
  for (std::string& line : lines) {
    for (const auto& m : config["linux"]["maskedPaths"]) {
      if (starts(line, "mount: " + m.get<std::string>() + " ")) {
        line = "mount: " + m.get<std::string>() + " (masked)";
      }
    }
    for (const auto& r : config["linux"]["readonlyPaths"]) {
      const std::string prefix = "mount: " + r.get<std::string>() + " proc ro,";
      if (starts(line, prefix)) line = prefix.substr(0, prefix.size() - 1);
    }
    if (runtime == "crun") {
      if (starts(line, "mount: /dev/") &&
          line.find(" devtmpfs rw,nosuid,noexec,") != std::string::npos) {
        line.replace(line.find(" devtmpfs rw,nosuid,noexec,"), 27, " devtmpfs rw,");
      }
      if (!host_kcore && starts(line, "dev: ")) {
        const std::size_t core = line.find(" core ");
        if (core != std::string::npos) line.erase(core, 5);
        if (starts(line, "dev: core ")) line.erase(5, 5);
      }
    }
    if (runtime == "runc" && line == "stat: /dev/mqueue directory 1777 0 65534 0:0" &&
        config["linux"].contains("uidMappings")) {
      line = "stat: /dev/mqueue directory 1777 0 0 0:0";
    }
    if (runtime != "buildtool-runtime" && starts(line, "mount: /sys/fs/cgroup tmpfs rw,")) {
      line.replace(std::string("mount: /sys/fs/cgroup tmpfs ").size(), 2, "ro");
    }
  }
  return lines;
}

// Runs the probe under every available runtime and compares each with buildtool-runtime.
void CompareRuntimes(const std::string& name, const std::function<void(RuntimeBundle&)>& edit) {
  const std::string skip = RuntimeSkipReason();
  if (!skip.empty()) {
    WARN("SKIPPED: runtime differential test " << skip);
    return;
  }
  std::string why;
  std::optional<RuntimeBundle> bundle = RuntimeBundle::Create({"sh", "/probe.sh"}, &why);
  INFO(why);
  REQUIRE(bundle.has_value());
  RuntimeBundle& b = *bundle;
  std::ofstream(b.rootfs() + "/probe.sh") << kProbe;
  if (edit) edit(b);

  const std::string id = UniqueContainerId("diff-" + name);
  const Runtime ours{"buildtool-runtime", {BT_RUNTIME_BIN}};
  const CommandResult mine = RunWith(ours, b, id);
  INFO("buildtool-runtime stderr: " << mine.err);
  REQUIRE(mine.status == 0);
  const std::vector<std::string> expected = Normalize(ours.name, b.config, Lines(mine.out));

  int compared = 0;
  for (const std::string rt_name : {"runc", "crun"}) {
    const std::string path = Which(rt_name);
    if (path.empty()) {
      WARN("SKIPPED: " << rt_name << " is not installed (apt-get install " << rt_name << ")");
      continue;
    }
    const Runtime rt{rt_name, {path}};
    const CommandResult theirs = RunWith(rt, b, id);
    if (theirs.status != 0) {
      WARN("SKIPPED: " << rt_name << " cannot run this bundle here (status " << theirs.status
                       << "): " << theirs.err);
      continue;
    }
    const std::vector<std::string> got = Normalize(rt_name, b.config, Lines(theirs.out));
    INFO("comparing " << name << " bundle: buildtool-runtime vs " << rt_name);
    for (std::size_t i = 0; i < std::max(expected.size(), got.size()); ++i) {
      const std::string e = i < expected.size() ? expected[i] : "<missing>";
      const std::string g = i < got.size() ? got[i] : "<missing>";
      INFO("line " << i);
      CHECK(e == g);
    }
    ++compared;
  }
  if (compared == 0) WARN("SKIPPED: neither runc nor crun could run; nothing was compared");
}

TEST_CASE("buildtool-runtime, runc and crun agree on BuildKit's default RUN sandbox",
          "[executor][runtime_differential][root]") {
  CompareRuntimes("default", {});
}

TEST_CASE("buildtool-runtime, runc and crun agree on a user, capabilities, rlimits and seccomp",
          "[executor][runtime_differential][root]") {
  CompareRuntimes("user", [](RuntimeBundle& b) {
    json& p = b.config["process"];
    p["user"] = {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {10, 20}}, {"umask", 23}};
    p["cwd"] = "/tmp";
    p["env"].push_back("LANG=C.UTF-8");
    p["noNewPrivileges"] = true;
    p["capabilities"] = {{"bounding", {"CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL"}},
                         {"effective", {"CAP_NET_BIND_SERVICE"}},
                         {"permitted", {"CAP_NET_BIND_SERVICE"}},
                         {"inheritable", {"CAP_NET_BIND_SERVICE"}},
                         {"ambient", {"CAP_NET_BIND_SERVICE"}}};
    p["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"hard", 512}, {"soft", 256}},
                    {{"type", "RLIMIT_CORE"}, {"hard", 0}, {"soft", 0}}};
    b.config["hostname"] = "probe-host";
    b.config["root"]["readonly"] = true;
    b.config["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
        {"syscalls",
         {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 18}}}}};
    std::ofstream(b.rootfs() + "/etc/passwd")
        << "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
  });
}

TEST_CASE("buildtool-runtime, runc and crun agree on a user-namespaced container",
          "[executor][runtime_differential][root]") {
  BT_SKIP_TEST_IF("runtime differential test", UserNamespaceSkipReason());
  CompareRuntimes("userns", [](RuntimeBundle& b) {
    ::chmod(b.path().c_str(), 0755);  // reachable for the container's root, host uid 100000
    b.config["linux"]["namespaces"].push_back({{"type", "user"}});
    b.config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    b.config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  });
}

}  // namespace
}  // namespace bt::test
