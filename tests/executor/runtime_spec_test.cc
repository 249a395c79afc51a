// ParseSpec: the runtime-spec subset buildtool-runtime reads, and its refusal of everything
// it does not implement, each error naming the field (runtime-spec config.md,
// config-linux.md).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "executor/runtime/kernel_names.h"
#include "executor/runtime/spec.h"
#include "tests/support/runtime_bundle.h"

namespace bt::executor::runtime {
namespace {

using nlohmann::json;

json Minimal() {
  return json::parse(R"({
    "ociVersion": "1.0.2",
    "process": {"args": ["/bin/true"], "cwd": "/"},
    "root": {"path": "rootfs"},
    "linux": {"namespaces": [{"type": "mount"}]}
  })");
}

// The error message of parsing `config`, "" when it parses.
std::string ErrorOf(const json& config) {
  Result<Spec> spec = ParseSpec(config.dump());
  return spec ? "" : spec.error().message;
}

TEST_CASE("the default RUN config parses into typed values", "[executor][runtime_spec]") {
  json config = bt::test::DefaultConfig({"sh", "-c", "true"});
  config["process"]["user"] = {
      {"uid", 1000}, {"gid", 1000}, {"additionalGids", {10, 20}}, {"umask", 18}};
  Result<Spec> spec = ParseSpec(config.dump());
  REQUIRE(spec.has_value());
  CHECK(spec->process.args == std::vector<std::string>{"sh", "-c", "true"});
  CHECK(spec->process.user.uid == 1000);
  CHECK(spec->process.user.additional_gids == std::vector<std::uint32_t>{10, 20});
  CHECK(spec->process.user.umask == 022u);
  // containerd's 14 default capabilities are exactly BuildKit's CapBnd 00000000a80425fb.
  CHECK(spec->process.capabilities.bounding == 0xa80425fbull);
  CHECK(spec->process.capabilities.ambient == 0);
  REQUIRE(spec->process.rlimits.size() == 1);
  CHECK(spec->process.rlimits[0].name == "RLIMIT_NOFILE");
  CHECK(spec->process.rlimits[0].hard == 1024);
  CHECK(spec->hostname == "buildkitsandbox");
  CHECK(spec->mounts.size() == 7);
  CHECK(spec->linux.Has(NamespaceKind::kNetwork));
  CHECK_FALSE(spec->linux.Has(NamespaceKind::kUser));
  CHECK(spec->linux.masked_paths.size() == 11);
}

TEST_CASE("a field buildtool-runtime does not implement is an error naming it",
          "[executor][runtime_spec]") {
  json config = Minimal();
  SECTION("an unknown top-level field") {
    config["extra"] = 1;
    CHECK(ErrorOf(config) == "extra: unknown field, or not implemented by buildtool-runtime");
  }
  SECTION("an unknown nested field") {
    config["process"]["user"] = {{"uid", 0}, {"gid", 0}, {"shell", "/bin/sh"}};
    CHECK(ErrorOf(config).rfind("process.user.shell: unknown field", 0) == 0);
  }
  SECTION("Intel RDT") {
    config["linux"]["intelRdt"] = {{"closID", "x"}};
    CHECK(ErrorOf(config).rfind("linux.intelRdt: not implemented", 0) == 0);
  }
  SECTION("a terminal") {
    config["process"]["terminal"] = true;
    CHECK(ErrorOf(config).rfind("process.terminal:", 0) == 0);
  }
  SECTION("hooks") {
    config["hooks"] = {{"prestart", {{{"path", "/bin/true"}}}}};
    CHECK(ErrorOf(config).rfind("hooks: not implemented", 0) == 0);
  }
  SECTION("memory limits") {
    config["linux"]["resources"] = {{"memory", {{"limit", 1000000}}}};
    CHECK(ErrorOf(config).rfind("linux.resources.memory: not implemented", 0) == 0);
  }
  SECTION("joining an existing mount namespace (network, uts and ipc can be joined)") {
    config["linux"]["namespaces"] = {{{"type", "mount"}, {"path", "/proc/1/ns/mnt"}}};
    CHECK(ErrorOf(config).rfind("linux.namespaces[0].path: not implemented", 0) == 0);
  }
  SECTION("a time namespace") {
    config["linux"]["namespaces"] = {{{"type", "mount"}}, {{"type", "time"}}};
    CHECK(ErrorOf(config).rfind("linux.namespaces[1].type:", 0) == 0);
  }
  SECTION("seccomp user notification") {
    config["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                  {"listenerPath", "/run/agent.sock"}};
    CHECK(ErrorOf(config).rfind("linux.seccomp.listenerPath: not implemented", 0) == 0);
  }
  SECTION("moby profile conditions in a seccomp rule") {
    config["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ERRNO"},
                                  {"syscalls",
                                   {{{"names", {"mount"}},
                                     {"action", "SCMP_ACT_ALLOW"},
                                     {"includes", {{"caps", {"CAP_SYS_ADMIN"}}}}}}}};
    CHECK(ErrorOf(config).rfind("linux.seccomp.syscalls[0].includes: not implemented", 0) == 0);
  }
  SECTION("AppArmor") {
    config["process"]["apparmorProfile"] = "docker-default";
    CHECK(ErrorOf(config).rfind("process.apparmorProfile: not implemented", 0) == 0);
  }
}

TEST_CASE("metadata and empty values of unimplemented fields are accepted",
          "[executor][runtime_spec]") {
  json config = Minimal();
  config["annotations"] = {{"org.example/key", "value"}};
  config["hooks"] = json::object();
  config["process"]["apparmorProfile"] = "";
  config["process"]["terminal"] = false;
  config["linux"]["mountLabel"] = "";
  config["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                {"syscalls",
                                 {{{"names", {"mkdir"}},
                                   {"action", "SCMP_ACT_ERRNO"},
                                   {"comment", "moby profiles carry comments"}}}}};
  CHECK(ErrorOf(config) == "");
}

TEST_CASE("malformed values are errors naming the field", "[executor][runtime_spec]") {
  json config = Minimal();
  SECTION("an unknown capability") {
    config["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN", "CAP_TYPO"}}};
    CHECK(ErrorOf(config) == "process.capabilities.bounding[1]: unknown capability \"CAP_TYPO\"");
  }
  SECTION("an unknown rlimit") {
    config["process"]["rlimits"] = {{{"type", "RLIMIT_FILES"}, {"hard", 1}, {"soft", 1}}};
    CHECK(ErrorOf(config).rfind("process.rlimits[0].type: unknown rlimit", 0) == 0);
  }
  SECTION("a soft limit above the hard one") {
    config["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"hard", 1}, {"soft", 2}}};
    CHECK(ErrorOf(config).rfind("process.rlimits[0]:", 0) == 0);
  }
  SECTION("a negative uid") {
    config["process"]["user"] = {{"uid", -1}, {"gid", 0}};
    CHECK(ErrorOf(config).rfind("process.user.uid:", 0) == 0);
  }
  SECTION("a uid above 2^32-1") {
    config["process"]["user"] = {{"uid", 4294967296}, {"gid", 0}};
    CHECK(ErrorOf(config) == "process.user.uid: exceeds 2^32-1");
  }
  SECTION("a relative cwd") {
    config["process"]["cwd"] = "work";
    CHECK(ErrorOf(config) == "process.cwd: must be an absolute path");
  }
  SECTION("no args") {
    config["process"]["args"] = json::array();
    CHECK(ErrorOf(config).rfind("process.args:", 0) == 0);
  }
  SECTION("an env entry without '='") {
    config["process"]["env"] = {"PATH=/bin", "JUNK"};
    CHECK(ErrorOf(config).rfind("process.env[1]:", 0) == 0);
  }
  SECTION("an unknown seccomp action") {
    config["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_PANIC"}};
    CHECK(ErrorOf(config).rfind("linux.seccomp.defaultAction: unknown seccomp action", 0) == 0);
  }
  SECTION("a seccomp argument index above 5") {
    config["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls",
         {{{"names", {"personality"}},
           {"action", "SCMP_ACT_ERRNO"},
           {"args", {{{"index", 6}, {"value", 0}, {"op", "SCMP_CMP_EQ"}}}}}}}};
    CHECK(ErrorOf(config) == "linux.seccomp.syscalls[0].args[0].index: must be 0..5");
  }
  SECTION("a namespace twice") {
    config["linux"]["namespaces"] = {{{"type", "mount"}}, {{"type", "mount"}}};
    CHECK(ErrorOf(config).rfind("linux.namespaces[1].type:", 0) == 0);
  }
  SECTION("a mount without a type that is not a bind") {
    config["mounts"] = {{{"destination", "/x"}, {"source", "tmpfs"}}};
    CHECK(ErrorOf(config).rfind("mounts[0].type:", 0) == 0);
  }
  SECTION("a bind option on a tmpfs") {
    config["mounts"] = {{{"destination", "/x"}, {"type", "tmpfs"}, {"options", {"rbind"}}}};
    CHECK(ErrorOf(config).rfind("mounts[0].type:", 0) == 0);
  }
  SECTION("a 2.x version") {
    config["ociVersion"] = "2.0.0";
    CHECK(ErrorOf(config).rfind("ociVersion:", 0) == 0);
  }
}

TEST_CASE("a key that appears twice in one object is refused", "[executor][runtime_spec]") {
  const std::string text = R"({"ociVersion": "1.0.2",
    "process": {"args": ["/bin/true"], "cwd": "/", "cwd": "/etc"},
    "root": {"path": "rootfs"}, "linux": {"namespaces": [{"type": "mount"}]}})";
  Result<Spec> spec = ParseSpec(text);
  REQUIRE_FALSE(spec.has_value());
  CHECK(spec.error().message.find("\"cwd\" appears twice") != std::string::npos);
}

TEST_CASE("a bind or rbind option makes any mount a bind, as in runc", "[executor][runtime_spec]") {
  json config = Minimal();
  config["mounts"] = {
      {{"destination", "/a"}, {"type", "none"}, {"source", "/tmp"}, {"options", {"rbind", "ro"}}},
      {{"destination", "/b"}, {"source", "/tmp"}, {"options", {"bind"}}}};
  Result<Spec> spec = ParseSpec(config.dump());
  REQUIRE(spec.has_value());
  CHECK(spec->mounts[0].type == "bind");
  CHECK(spec->mounts[1].type == "bind");
}

TEST_CASE("capability and rlimit names map to the kernel's numbers", "[executor][runtime_spec]") {
  CHECK(CapabilityNumber("CAP_CHOWN") == 0);
  CHECK(CapabilityNumber("CAP_SYS_ADMIN") == 21);
  CHECK(CapabilityNumber("CAP_CHECKPOINT_RESTORE") == 40);
  CHECK_FALSE(CapabilityNumber("CAP_chown").has_value());
  CHECK(CapabilityName(27) == "CAP_MKNOD");
  CHECK(RlimitNumber("RLIMIT_NOFILE") == 7);
  CHECK(RlimitNumber("RLIMIT_NPROC") == 6);
  CHECK_FALSE(RlimitNumber("NOFILE").has_value());
}

}  // namespace
}  // namespace bt::executor::runtime
