// MakePlan and its parts (sysctl, devices, seccomp compilation, namespaces): every config
// error is found before the runtime clones, and named by its field.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "base/temp_dir.h"
#include "executor/runtime/devices.h"
#include "executor/runtime/plan.h"
#include "executor/runtime/seccomp_filter.h"
#include "executor/runtime/sysctl.h"
#include "tests/support/runtime_bundle.h"

namespace bt::executor::runtime {
namespace {

using nlohmann::json;

// A bundle directory with an empty rootfs; MakePlan only looks at the host, it mounts nothing.
class PlanFixture {
 public:
  PlanFixture() : dir_(*TempDir::Create("", "bt-plan-")) {
    ::mkdir((dir_.path() + "/rootfs").c_str(), 0755);
    ::mkdir((dir_.path() + "/data").c_str(), 0755);
    config = bt::test::DefaultConfig({"/bin/true"});
  }
  Result<ContainerPlan> Plan(bool root = true) const {
    Result<Spec> spec = ParseSpec(config.dump());
    if (!spec) return std::move(spec).error();
    PlanInputs in;
    in.bundle = dir_.path();
    in.id = "plan-test";
    in.runtime_is_root = root;
    in.cgroups = *ParseCgroupLayout(
        "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "39 31 0:36 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n",
        "8:pids:/ci\n1:cpu,cpuacct:/ci\n0::/\n");
    in.container_cgroups = {{"/sys/fs/cgroup/pids", "/sys/fs/cgroup/pids/ci/plan-test"}};
    return MakePlan(*spec, in);
  }
  std::string ErrorOf(bool root = true) const {
    Result<ContainerPlan> plan = Plan(root);
    if (plan) return "";
    std::string message;
    for (auto it = plan.error().context.rbegin(); it != plan.error().context.rend(); ++it) {
      message += *it + ": ";
    }
    return message + plan.error().message;
  }
  const std::string& bundle() const { return dir_.path(); }
  json config;

 private:
  TempDir dir_;
};

TEST_CASE("the default RUN config plans every mount, device and namespace",
          "[executor][runtime_plan]") {
  PlanFixture f;
  Result<ContainerPlan> plan = f.Plan();
  REQUIRE(plan.has_value());
  // Only the pid namespace at clone time; the rest once the child is in its cgroup.
  CHECK(plan->namespaces.clone_flags == CLONE_NEWPID);
  CHECK(plan->namespaces.unshare_flags ==
        (CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET));
  CHECK(plan->namespaces.network);
  CHECK_FALSE(plan->namespaces.user);
  CHECK(plan->root_propagation == (MS_SLAVE | MS_REC));
  CHECK(plan->parent_propagation == MS_SLAVE);
  CHECK(plan->late_propagation == 0);
  REQUIRE(plan->mounts.size() == 7);
  CHECK(plan->mounts[0].fstype == "proc");
  CHECK(plan->mounts[0].no_symlinks);
  CHECK(plan->mounts[1].destination == "/dev");
  CHECK_FALSE(plan->mounts[1].defer_read_only);
  CHECK(plan->mounts[5].options.read_only());
  // The cgroup mount on a v1 host: one bind per hierarchy, our own cgroup for pids.
  const MountStep& cgroup = plan->mounts[6];
  CHECK(cgroup.kind == MountKind::kCgroupV1);
  CHECK(cgroup.defer_read_only);
  REQUIRE(cgroup.cgroup_binds.size() == 2);
  CHECK(cgroup.cgroup_binds[0].source == "/sys/fs/cgroup/cpu,cpuacct/ci");
  CHECK(cgroup.cgroup_binds[0].destination == "/sys/fs/cgroup/cpu,cpuacct");
  CHECK(cgroup.cgroup_binds[1].source == "/sys/fs/cgroup/pids/ci/plan-test");
  REQUIRE(cgroup.cgroup_links.size() == 2);
  CHECK(cgroup.cgroup_links[0].path == "/sys/fs/cgroup/cpu");
  CHECK(cgroup.cgroup_links[0].target == "cpu,cpuacct");
  CHECK(plan->setup_dev);
  CHECK(plan->devices.size() == 6);
  CHECK(plan->set_hostname);
  CHECK(plan->process.umask == 022);
  CHECK_FALSE(plan->process.seccomp.has_value());
}

TEST_CASE("namespaces must add up", "[executor][runtime_plan]") {
  PlanFixture f;
  SECTION("no mount namespace") {
    f.config["linux"]["namespaces"] = {{{"type", "pid"}}};
    f.config.erase("hostname");
    CHECK(f.ErrorOf().rfind("linux.namespaces: a mount namespace is required", 0) == 0);
  }
  SECTION("a hostname without a uts namespace") {
    f.config["linux"]["namespaces"] = {{{"type", "mount"}}};
    CHECK(f.ErrorOf().rfind("hostname:", 0) == 0);
  }
  SECTION("a user namespace without maps") {
    f.config["linux"]["namespaces"].push_back({{"type", "user"}});
    CHECK(f.ErrorOf().rfind("linux.uidMappings:", 0) == 0);
  }
  SECTION("maps without a user namespace") {
    f.config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    CHECK(f.ErrorOf().rfind("linux.uidMappings:", 0) == 0);
  }
  SECTION("an unprivileged runtime cannot set supplementary groups") {
    f.config["linux"]["namespaces"].push_back({{"type", "user"}});
    f.config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    f.config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    f.config["process"]["user"]["additionalGids"] = {10};
    CHECK(f.ErrorOf(false).rfind("process.user.additionalGids:", 0) == 0);
    f.config["process"]["user"].erase("additionalGids");
    Result<ContainerPlan> plan = f.Plan(false);
    REQUIRE(plan.has_value());
    CHECK(plan->namespaces.deny_setgroups);
    CHECK(plan->namespaces.clone_flags == (CLONE_NEWPID | CLONE_NEWUSER));
    CHECK(plan->namespaces.uid_map == "0 1000 1\n");
    CHECK(plan->bind_devices);
  }
}

TEST_CASE("mounts are checked before anything is mounted", "[executor][runtime_plan]") {
  PlanFixture f;
  json& mounts = f.config["mounts"];
  SECTION("an unimplemented filesystem type") {
    mounts.push_back({{"destination", "/x"}, {"type", "overlay"}, {"source", "overlay"}});
    CHECK(f.ErrorOf() == "mounts[7].type: \"overlay\" is not implemented by buildtool-runtime");
  }
  SECTION("a bind inside /proc (runc's checkProcMount)") {
    mounts.push_back({{"destination", "/proc/sys/kernel/core_pattern"},
                      {"type", "bind"},
                      {"source", "/etc/hostname"},
                      {"options", {"bind"}}});
    CHECK(f.ErrorOf().rfind("mounts[7].destination:", 0) == 0);
  }
  SECTION("a tmpfs over /proc") {
    mounts[0]["type"] = "tmpfs";
    CHECK(f.ErrorOf().rfind("mounts[0].destination:", 0) == 0);
  }
  SECTION("an lxcfs-style bind of /proc/cpuinfo is allowed") {
    mounts.push_back({{"destination", "/proc/cpuinfo"},
                      {"type", "bind"},
                      {"source", "/proc/cpuinfo"},
                      {"options", {"bind", "ro"}}});
    CHECK(f.ErrorOf() == "");
  }
  SECTION("a relative bind source is relative to the bundle") {
    mounts.push_back({{"destination", "/data"},
                      {"type", "bind"},
                      {"source", "data"},
                      {"options", {"rbind", "ro"}}});
    Result<ContainerPlan> plan = f.Plan();
    REQUIRE(plan.has_value());
    CHECK(plan->mounts[7].source == f.bundle() + "/data");
    CHECK(plan->mounts[7].options.recursive);
    CHECK_FALSE(plan->mounts[7].file_target);
  }
  SECTION("a missing bind source") {
    mounts.push_back(
        {{"destination", "/data"}, {"type", "bind"}, {"source", "missing"}, {"options", {"bind"}}});
    CHECK(f.ErrorOf().rfind("mounts[7].source: stat bind source", 0) == 0);
  }
  SECTION("a bind of /dev turns off the runtime's own /dev nodes") {
    mounts[1] = {
        {"destination", "/dev"}, {"type", "bind"}, {"source", "/dev"}, {"options", {"rbind"}}};
    Result<ContainerPlan> plan = f.Plan();
    REQUIRE(plan.has_value());
    CHECK_FALSE(plan->setup_dev);
  }
  SECTION("the destination is cleaned lexically") {
    mounts.push_back({{"destination", "/a/../b//c/."}, {"type", "tmpfs"}, {"source", "tmpfs"}});
    Result<ContainerPlan> plan = f.Plan();
    REQUIRE(plan.has_value());
    CHECK(plan->mounts[7].destination == "/b/c");
  }
  SECTION("nothing over the rootfs itself") {
    mounts.push_back({{"destination", "/x/.."}, {"type", "tmpfs"}, {"source", "tmpfs"}});
    CHECK(f.ErrorOf().rfind("mounts[7].destination:", 0) == 0);
  }
}

TEST_CASE("root propagation follows runc", "[executor][runtime_plan]") {
  PlanFixture f;
  f.config["linux"]["rootfsPropagation"] = "shared";
  Result<ContainerPlan> plan = f.Plan();
  REQUIRE(plan.has_value());
  CHECK(plan->root_propagation == MS_SHARED);
  CHECK(plan->parent_propagation == MS_PRIVATE);
  CHECK(plan->late_propagation == MS_SHARED);
  f.config["linux"]["rootfsPropagation"] = "rprivate";
  plan = f.Plan();
  REQUIRE(plan.has_value());
  CHECK(plan->late_propagation == 0);
}

TEST_CASE("only namespaced sysctls are accepted", "[executor][runtime_plan]") {
  Linux linux;
  linux.namespaces = {NamespaceKind::kMount, NamespaceKind::kIpc, NamespaceKind::kNetwork};
  CHECK(*SysctlFile("net.ipv4.ip_forward", linux) == "/proc/sys/net/ipv4/ip_forward");
  CHECK(*SysctlFile("kernel.shmmax", linux) == "/proc/sys/kernel/shmmax");
  CHECK(*SysctlFile("fs.mqueue.msg_max", linux) == "/proc/sys/fs/mqueue/msg_max");
  CHECK(SysctlFile("kernel.core_pattern", linux).error().message ==
        "linux.sysctl.kernel.core_pattern: is not namespaced: setting it would change the host");
  CHECK_FALSE(SysctlFile("kernel.domainname", linux).has_value());  // no uts namespace
  CHECK_FALSE(SysctlFile("net..ipv4", linux).has_value());
  CHECK_FALSE(SysctlFile("net.ipv4/../../kernel/core_pattern", linux).has_value());
  linux.namespaces = {NamespaceKind::kMount};
  CHECK(SysctlFile("net.ipv4.ip_forward", linux).error().message.find("network namespace") !=
        std::string::npos);
}

TEST_CASE("default device nodes come first and a configured one replaces its default",
          "[executor][runtime_plan]") {
  Device null_dev;
  null_dev.path = "/dev/null";
  null_dev.major = 1;
  null_dev.minor = 3;
  null_dev.file_mode = 0600;
  Device fuse;
  fuse.path = "/dev/fuse";
  fuse.major = 10;
  fuse.minor = 229;
  Device ptmx;
  ptmx.path = "/dev/ptmx";
  ptmx.major = 5;
  ptmx.minor = 2;
  const std::vector<DeviceNode> nodes = DeviceNodes({null_dev, fuse, ptmx});
  REQUIRE(nodes.size() == 7);
  CHECK(nodes[0].path == "/dev/random");
  CHECK(nodes[0].mode == (S_IFCHR | 0666));
  CHECK(nodes[0].rdev == makedev(1, 8));
  CHECK(nodes[5].path == "/dev/null");
  CHECK(nodes[5].mode == (S_IFCHR | 0600));
  CHECK(nodes[6].path == "/dev/fuse");
}

TEST_CASE("a seccomp profile compiles to BPF before the clone", "[executor][runtime_plan]") {
  Seccomp s;
  s.default_action = SeccompAction::kAllow;
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  SeccompRule deny;
  deny.names = {"mkdir", "mkdirat", "no_such_syscall_in_any_kernel"};
  deny.action = SeccompAction::kErrno;
  deny.errno_ret = 18;
  deny.field = "linux.seccomp.syscalls[0]";
  SeccompRule personality;
  personality.names = {"personality"};
  personality.action = SeccompAction::kErrno;
  personality.args = {SeccompArg{0, 8, 0, SeccompOp::kNotEqual},
                      SeccompArg{0, 0x20008, 0, SeccompOp::kNotEqual}};
  personality.field = "linux.seccomp.syscalls[1]";
  s.syscalls = {deny, personality};
  Result<SeccompProgram> program = CompileSeccomp(s);
  REQUIRE(program.has_value());
  CHECK(program->instructions.size() > 10);
  CHECK(program->flags == 0);

  SECTION("an unknown architecture") {
    s.architectures = {"SCMP_ARCH_VAX"};
    CHECK(CompileSeccomp(s).error().message.rfind("linux.seccomp.architectures[0]:", 0) == 0);
  }
  SECTION("an unknown flag") {
    s.flags = {"SECCOMP_FILTER_FLAG_NEW_LISTENER"};
    CHECK(CompileSeccomp(s).error().message.rfind("linux.seccomp.flags[0]:", 0) == 0);
  }
  SECTION("the log flag") {
    s.flags = {"SECCOMP_FILTER_FLAG_LOG"};
    REQUIRE(CompileSeccomp(s).has_value());
    CHECK(CompileSeccomp(s)->flags == 2u);
  }
}

TEST_CASE("container ids are checked as runc does", "[executor][runtime_plan]") {
  CHECK(ValidateContainerId("bt-step_1.2+x").has_value());
  CHECK_FALSE(ValidateContainerId("").has_value());
  CHECK_FALSE(ValidateContainerId("..").has_value());
  CHECK_FALSE(ValidateContainerId("a/b").has_value());
  CHECK_FALSE(ValidateContainerId("a b").has_value());
}

}  // namespace
}  // namespace bt::executor::runtime
