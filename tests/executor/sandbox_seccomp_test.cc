// DefaultSeccompProfile, the moby default profile buildtool writes into a RUN step's config
// (SECURITY.md A3): its structure, checked against github.com/moby/profiles
// seccomp/default_linux.go (tag seccomp/v0.2.3) rather than against our own output; that the
// bundled runtime parses and compiles it; and what it does to a process (SECURITY.md case 2):
// a static probe makes the denied calls inside a container under buildtool-runtime, runc and
// crun, which must all give the same answers.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "executor/runtime/seccomp_filter.h"
#include "executor/runtime/spec.h"
#include "executor/sandbox/seccomp_profile.h"
#include "tests/support/runtime_bundle.h"

namespace bt::test {
namespace {

using executor::DefaultSeccompProfile;
using nlohmann::json;

// Docker's 14 default capabilities (CapBnd of BuildKit's testRunSecurityDefault).
constexpr std::uint64_t kDockerDefault = 0x00000000a80425fbULL;
constexpr std::uint64_t kAllCapabilities = ~std::uint64_t{0};
constexpr int kCapDacReadSearch = 2;
constexpr int kCapSysChroot = 18;
constexpr int kCapSysPtrace = 19;
constexpr int kCapSysAdmin = 21;

constexpr std::uint64_t Bit(int n) { return std::uint64_t{1} << n; }

bool Names(const json& rule, const std::string& name) {
  for (const json& n : rule["names"]) {
    if (n == name) return true;
  }
  return false;
}

// Every rule of `profile` that names `name`.
std::vector<json> RulesFor(const json& profile, const std::string& name) {
  std::vector<json> out;
  for (const json& rule : profile["syscalls"]) {
    if (Names(rule, name)) out.push_back(rule);
  }
  return out;
}

// Whether some rule allows `name` whatever its arguments.
bool AllowsOutright(const json& profile, const std::string& name) {
  for (const json& rule : RulesFor(profile, name)) {
    if (rule["action"] == "SCMP_ACT_ALLOW" && !rule.contains("args")) return true;
  }
  return false;
}

bool Mentions(const json& profile, const std::string& name) {
  return !RulesFor(profile, name).empty();
}

TEST_CASE("the default profile refuses with EPERM whatever it does not list",
          "[executor][sandbox][seccomp]") {
  const json profile = DefaultSeccompProfile(kDockerDefault, "amd64");
  CHECK(profile["defaultAction"] == "SCMP_ACT_ERRNO");
  CHECK(profile["defaultErrnoRet"] == 1);
  // moby's first rule: 361 names allowed whatever the capabilities and architecture.
  const json& first = profile["syscalls"][0];
  CHECK(first["action"] == "SCMP_ACT_ALLOW");
  CHECK_FALSE(first.contains("args"));
  CHECK(first["names"].size() == 361);
  for (const char* name : {"read", "write", "openat", "execve", "exit_group", "getpid", "fork",
                           "vfork", "wait4", "socketpair", "socketcall", "name_to_handle_at"}) {
    INFO(name);
    CHECK(Names(first, name));
  }
}

TEST_CASE("the architecture list follows moby's archMap", "[executor][sandbox][seccomp]") {
  CHECK(DefaultSeccompProfile(kDockerDefault, "amd64")["architectures"] ==
        json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  CHECK(DefaultSeccompProfile(kDockerDefault, "arm64")["architectures"] ==
        json({"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
  SECTION("another architecture gets only the architecture-neutral rules") {
    const json profile = DefaultSeccompProfile(kDockerDefault, "mips64le");
    CHECK_FALSE(profile.contains("architectures"));
    CHECK(profile["defaultAction"] == "SCMP_ACT_ERRNO");
    CHECK(AllowsOutright(profile, "read"));
    for (const char* name : {"arch_prctl", "modify_ldt", "cacheflush", "set_tls"}) {
      CHECK_FALSE(Mentions(profile, name));
    }
    CHECK(RulesFor(profile, "clone").size() == 1);
  }
}

TEST_CASE("architecture-specific syscalls are allowed on their architecture only",
          "[executor][sandbox][seccomp]") {
  const json amd64 = DefaultSeccompProfile(kDockerDefault, "amd64");
  const json arm64 = DefaultSeccompProfile(kDockerDefault, "arm64");
  for (const char* name : {"arch_prctl", "modify_ldt"}) {
    INFO(name);
    CHECK(AllowsOutright(amd64, name));
    CHECK_FALSE(Mentions(arm64, name));
  }
  for (const char* name : {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                           "breakpoint", "cacheflush", "set_tls"}) {
    INFO(name);
    CHECK(AllowsOutright(arm64, name));
    CHECK_FALSE(Mentions(amd64, name));
  }
}

TEST_CASE("mount, namespace and other administration syscalls need CAP_SYS_ADMIN",
          "[executor][sandbox][seccomp]") {
  const json without = DefaultSeccompProfile(kDockerDefault, "amd64");
  const json with = DefaultSeccompProfile(kDockerDefault | Bit(kCapSysAdmin), "amd64");
  for (const char* name : {"mount",
                           "umount",
                           "umount2",
                           "unshare",
                           "setns",
                           "bpf",
                           "fsopen",
                           "fsconfig",
                           "fsmount",
                           "fspick",
                           "move_mount",
                           "open_tree",
                           "mount_setattr",
                           "perf_event_open",
                           "fanotify_init",
                           "lookup_dcookie",
                           "quotactl",
                           "quotactl_fd",
                           "sethostname",
                           "setdomainname",
                           "syslog",
                           "lsm_get_self_attr",
                           "lsm_set_self_attr",
                           "lsm_list_modules"}) {
    INFO(name);
    CHECK_FALSE(Mentions(without, name));
    CHECK(AllowsOutright(with, name));
  }

  SECTION("clone: only without namespace flags, unless CAP_SYS_ADMIN") {
    const std::vector<json> rules = RulesFor(without, "clone");
    REQUIRE(rules.size() == 1);
    CHECK(rules[0]["action"] == "SCMP_ACT_ALLOW");
    // CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWCGROUP must all be clear in arg 0.
    CHECK(rules[0]["args"] ==
          json::parse(R"([{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}])"));
    CHECK(RulesFor(with, "clone").size() == 1);
    CHECK(AllowsOutright(with, "clone"));
  }
  SECTION("clone3: ENOSYS, so that libc falls back to clone, unless CAP_SYS_ADMIN") {
    const std::vector<json> rules = RulesFor(without, "clone3");
    REQUIRE(rules.size() == 1);
    CHECK(rules[0] ==
          json::parse(R"({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38})"));
    CHECK(RulesFor(with, "clone3").size() == 1);
    CHECK(AllowsOutright(with, "clone3"));
  }
}

TEST_CASE("each capability-gated group is allowed only with its capability",
          "[executor][sandbox][seccomp]") {
  struct Group {
    int capability;
    std::vector<std::string> names;
  };
  const std::vector<Group> groups = {
      {kCapDacReadSearch, {"open_by_handle_at"}},
      {16 /* CAP_SYS_MODULE */, {"init_module", "finit_module", "delete_module"}},
      {17 /* CAP_SYS_RAWIO */, {"iopl", "ioperm"}},
      {kCapSysChroot, {"chroot"}},
      {kCapSysPtrace, {"kcmp", "pidfd_getfd", "process_madvise"}},
      {20 /* CAP_SYS_PACCT */, {"acct"}},
      {22 /* CAP_SYS_BOOT */, {"reboot"}},
      {23 /* CAP_SYS_NICE */,
       {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
      {25 /* CAP_SYS_TIME */, {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
      {26 /* CAP_SYS_TTY_CONFIG */, {"vhangup"}},
      {34 /* CAP_SYSLOG */, {"syslog"}},
      {38 /* CAP_PERFMON */, {"perf_event_open"}},
      {39 /* CAP_BPF */, {"bpf"}},
  };
  for (const Group& g : groups) {
    const json without = DefaultSeccompProfile(kDockerDefault & ~Bit(g.capability), "amd64");
    const json with = DefaultSeccompProfile(kDockerDefault | Bit(g.capability), "amd64");
    for (const std::string& name : g.names) {
      INFO("capability " << g.capability << ": " << name);
      CHECK_FALSE(Mentions(without, name));
      CHECK(AllowsOutright(with, name));
    }
  }
  // Docker's default set holds CAP_SYS_CHROOT, not CAP_DAC_READ_SEARCH.
  const json docker = DefaultSeccompProfile(kDockerDefault, "amd64");
  CHECK(AllowsOutright(docker, "chroot"));
  CHECK_FALSE(Mentions(docker, "open_by_handle_at"));
}

TEST_CASE("keyrings, io_uring, userfaultfd and kexec are never allowed",
          "[executor][sandbox][seccomp]") {
  for (const std::uint64_t caps : {std::uint64_t{0}, kDockerDefault, kAllCapabilities}) {
    for (const char* arch : {"amd64", "arm64", "riscv64"}) {
      const json profile = DefaultSeccompProfile(caps, arch);
      for (const char* name : {"keyctl", "add_key", "request_key", "io_uring_setup",
                               "io_uring_enter", "io_uring_register", "userfaultfd", "kexec_load",
                               "kexec_file_load", "pivot_root", "swapon", "swapoff"}) {
        INFO(arch << " caps " << caps << ": " << name);
        CHECK_FALSE(Mentions(profile, name));
      }
    }
  }
}

TEST_CASE("socket is allowed for every address family but AF_ALG and AF_VSOCK",
          "[executor][sandbox][seccomp]") {
  const json profile = DefaultSeccompProfile(kAllCapabilities, "amd64");
  std::vector<json> args;
  for (const json& rule : RulesFor(profile, "socket")) {
    CHECK(rule["names"] == json({"socket"}));
    CHECK(rule["action"] == "SCMP_ACT_ALLOW");
    args.push_back(rule["args"]);
  }
  // AF_ALG is 38 and AF_VSOCK 40: below 38, exactly 39, above 40.
  CHECK(args == std::vector<json>{
                    json::parse(R"([{"index": 0, "value": 38, "op": "SCMP_CMP_LT"}])"),
                    json::parse(R"([{"index": 0, "value": 39, "op": "SCMP_CMP_EQ"}])"),
                    json::parse(R"([{"index": 0, "value": 40, "op": "SCMP_CMP_GT"}])"),
                });
}

TEST_CASE("personality is limited to moby's five values", "[executor][sandbox][seccomp]") {
  const json profile = DefaultSeccompProfile(kAllCapabilities, "amd64");
  std::set<std::uint64_t> values;
  for (const json& rule : RulesFor(profile, "personality")) {
    REQUIRE(rule["args"].size() == 1);
    CHECK(rule["args"][0]["index"] == 0);
    CHECK(rule["args"][0]["op"] == "SCMP_CMP_EQ");
    values.insert(rule["args"][0]["value"].get<std::uint64_t>());
  }
  // PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query 0xffffffff.
  CHECK(values == std::set<std::uint64_t>{0x0, 0x8, 0x20000, 0x20008, 0xffffffff});
}

TEST_CASE("ptrace and process_vm_* are allowed (kernels since 4.8)",
          "[executor][sandbox][seccomp]") {
  const json profile = DefaultSeccompProfile(kDockerDefault, "amd64");
  for (const char* name : {"ptrace", "process_vm_readv", "process_vm_writev"}) {
    CHECK(AllowsOutright(profile, name));
  }
}

TEST_CASE("buildtool-runtime parses and compiles the default profile",
          "[executor][sandbox][seccomp]") {
  for (const std::uint64_t caps :
       {kDockerDefault, kDockerDefault | Bit(kCapSysAdmin), kAllCapabilities}) {
    for (const char* arch : {"amd64", "arm64", "mips64le"}) {
      INFO(arch << " caps " << caps);
      json config = DefaultConfig({"/bin/true"});
      const json profile = DefaultSeccompProfile(caps, arch);
      config["linux"]["seccomp"] = profile;
      Result<executor::runtime::Spec> spec = executor::runtime::ParseSpec(config.dump());
      INFO((spec ? "" : spec.error().message));
      REQUIRE(spec.has_value());
      REQUIRE(spec->linux.seccomp.has_value());
      const executor::runtime::Seccomp& s = *spec->linux.seccomp;
      CHECK(s.default_action == executor::runtime::SeccompAction::kErrno);
      CHECK(s.default_errno_ret == std::optional<std::uint32_t>(1));
      CHECK(s.syscalls.size() == profile["syscalls"].size());
      Result<executor::runtime::SeccompProgram> program = executor::runtime::CompileSeccomp(s);
      INFO((program ? "" : program.error().message));
      CHECK(program.has_value());
    }
  }
}

// --- Behaviour: the probe in a container (SECURITY.md case 2) ---

#if defined(__x86_64__)
constexpr const char* kHostArch = "amd64";
#elif defined(__aarch64__)
constexpr const char* kHostArch = "arm64";
#else
constexpr const char* kHostArch = "";
#endif

// What tests/executor/probes/syscall_probe.c prints under the default profile with Docker's
// default capabilities, as root in the container.
constexpr const char* kExpectedUnderProfile = R"(seccomp: 2
getpid: ok
open/write/read: ok
clone: ok
clone(CLONE_NEWNS): EPERM
clone3: ENOSYS
unshare(CLONE_NEWUSER): EPERM
mount(tmpfs): EPERM
keyctl: EPERM
add_key: EPERM
io_uring_setup: EPERM
bpf: EPERM
userfaultfd: EPERM
kexec_load: EPERM
socket(AF_VSOCK): EPERM
socket(AF_ALG): EPERM
socket(AF_INET): ok
socket(AF_UNIX): ok
personality(query): ok
personality(READ_IMPLIES_EXEC): EPERM
chroot: ok
)";

std::string Which(const std::string& program) {
  for (const char* dir : {"/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"}) {
    const std::string path = std::string(dir) + "/" + program;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

// Runs the bundle under `runtime` ("buildtool-runtime", "runc" or "crun" at `path`). As in
// runtime_differential_test.cc: Debian's crun 1.8.1 refuses the hybrid cgroup layout, so it
// runs in a private mount namespace without /sys/fs/cgroup/unified (ARCHITECTURE.md), and
// stdin is an empty file of the bundle rather than the host's /dev/null, which crun would chown.
CommandResult RunUnder(const std::string& runtime, const std::string& path, const RuntimeBundle& b,
                       const std::string& id) {
  b.WriteConfig();
  const std::string state = b.path() + "/state-" + runtime;
  const std::string stdin_path = b.path() + "/stdin";
  std::ofstream{stdin_path};
  if (runtime == "crun") {
    return RunCommand({"unshare", "--mount", "--propagation", "private", "sh", "-c",
                       "umount /sys/fs/cgroup/unified 2>/dev/null; exec \"$0\" --root \"$1\" run "
                       "--bundle \"$2\" \"$3\"",
                       path, state, b.path(), id},
                      b.path(), 60, stdin_path);
  }
  return RunCommand({path, "--root", state, "run", "--bundle", b.path(), id}, b.path(), 60,
                    stdin_path);
}

// The value printed for `call` ("clone3: ENOSYS" gives "ENOSYS").
std::string ResultOf(const std::string& output, const std::string& call) {
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(call + ": ", 0) == 0) return line.substr(call.size() + 2);
  }
  return "<missing>";
}

TEST_CASE("under the default profile a RUN step cannot reach the denied syscalls",
          "[executor][sandbox][seccomp][root]") {
  const std::string skip = RuntimeSkipReason();
  if (!skip.empty()) {
    WARN("SKIPPED: seccomp probe " << skip);
    return;
  }
  if (std::string(kHostArch).empty()) {
    WARN("SKIPPED: seccomp probe: the expected results are for amd64 and arm64 hosts");
    return;
  }
  std::string why;
  std::optional<RuntimeBundle> bundle = RuntimeBundle::Create({"/probe"}, &why);
  INFO(why);
  REQUIRE(bundle.has_value());
  RuntimeBundle& b = *bundle;
  INFO("the probe binary, built by the syscall_probe target: " << BT_SYSCALL_PROBE);
  REQUIRE(::access(BT_SYSCALL_PROBE, X_OK) == 0);
  {
    std::ifstream src(BT_SYSCALL_PROBE, std::ios::binary);
    std::ofstream dst(b.rootfs() + "/probe", std::ios::binary);
    dst << src.rdbuf();
  }
  ::chmod((b.rootfs() + "/probe").c_str(), 0755);

  // Without a filter first: the calls the profile denies must not fail the same way on their
  // own, or the EPERMs below would prove nothing. Only what holds on any kernel with keyrings
  // and clone3 (5.3) is required; the rest depends on the host's sysctls and is shown.
  const CommandResult bare = b.Run(BT_RUNTIME_BIN, UniqueContainerId("seccomp-bare"));
  INFO("without the profile:\n" << bare.out << bare.err);
  REQUIRE(bare.status == 0);
  CHECK(ResultOf(bare.out, "seccomp") == "0");
  CHECK(ResultOf(bare.out, "clone3") == "ok");
  CHECK(ResultOf(bare.out, "keyctl") != "EPERM");
  CHECK(ResultOf(bare.out, "add_key") != "EPERM");

  b.config["linux"]["seccomp"] = DefaultSeccompProfile(kDockerDefault, kHostArch);
  const std::string id = UniqueContainerId("seccomp");
  const CommandResult ours = RunUnder("buildtool-runtime", BT_RUNTIME_BIN, b, id);
  INFO("buildtool-runtime stderr: " << ours.err);
  REQUIRE(ours.status == 0);
  CHECK(ours.out == kExpectedUnderProfile);

  int compared = 0;
  for (const std::string runtime : {"runc", "crun"}) {
    const std::string path = Which(runtime);
    if (path.empty()) {
      WARN("SKIPPED: " << runtime << " is not installed (apt-get install " << runtime << ")");
      continue;
    }
    const CommandResult theirs = RunUnder(runtime, path, b, id);
    if (theirs.status != 0) {
      WARN("SKIPPED: " << runtime << " cannot run this bundle here (status " << theirs.status
                       << "): " << theirs.err);
      continue;
    }
    INFO(runtime << " output differs from buildtool-runtime's");
    CHECK(theirs.out == ours.out);
    ++compared;
  }
  if (compared == 0) WARN("SKIPPED: neither runc nor crun could run; nothing was compared");
}

}  // namespace
}  // namespace bt::test
