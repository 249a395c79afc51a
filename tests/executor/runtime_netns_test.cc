// Joining existing namespaces (`linux.namespaces[i].path`), as BuildKit's sandbox network
// needs: ParseSpec keeps the path of a network, uts or ipc namespace and refuses the others;
// the plan checks that the file is a namespace of that type; buildtool-runtime runs the
// container in the joined namespace, leaves its interfaces (lo included) as they are, and
// keeps no descriptor of it open. runc and crun, where they can run here, are checked to show
// the same on the same bundle. The namespaces are made by the test itself (a thread that
// unshares and bind-mounts /proc/thread-self/ns/<kind>, as `ip netns add` does).
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "executor/runtime/namespaces.h"
#include "executor/runtime/spec.h"
#include "tests/support/runtime_bundle.h"

namespace bt::test {
namespace {

using executor::runtime::JoinedNamespace;
using executor::runtime::Linux;
using executor::runtime::NamespaceKind;
using executor::runtime::NamespacePlan;
using executor::runtime::ParseSpec;
using executor::runtime::PlanNamespaces;
using executor::runtime::Spec;
using nlohmann::json;

constexpr const char* kRuntime = BT_RUNTIME_BIN;

#define RUNTIME_TEST_PRECONDITIONS() BT_SKIP_TEST_IF("buildtool-runtime test", RuntimeSkipReason())

// A namespace that outlives the thread that made it: its nsfs file is bind-mounted onto
// `path` (an empty file made here). Unmounted on destruction; the file stays for its
// directory's owner to remove.
class NamespaceFile {
 public:
  // `flag`: CLONE_NEWNET, CLONE_NEWUTS or CLONE_NEWIPC; `proc_name`: "net", "uts", "ipc".
  // `setup` runs in the new namespace before it is kept. nullopt with `why` on failure.
  static std::optional<NamespaceFile> Create(const std::string& path, int flag,
                                             const char* proc_name,
                                             const std::function<std::string()>& setup,
                                             std::string* why) {
    std::ofstream{path};
    std::string error;
    // A thread of its own: unsharing a network, uts or ipc namespace changes only the
    // calling thread, so the test's other threads stay where they are.
    std::thread maker([&] {
      if (::unshare(flag) != 0) {
        error = std::string("unshare: ") + std::strerror(errno);
        return;
      }
      if (setup) error = setup();
      if (!error.empty()) return;
      const std::string own = std::string("/proc/thread-self/ns/") + proc_name;
      if (::mount(own.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        error = "bind " + own + " onto " + path + ": " + std::strerror(errno);
      }
    });
    maker.join();
    if (!error.empty()) {
      *why = error;
      return std::nullopt;
    }
    return NamespaceFile(path);
  }

  NamespaceFile(NamespaceFile&& other) noexcept : path_(std::exchange(other.path_, "")) {}
  NamespaceFile& operator=(NamespaceFile&&) = delete;
  NamespaceFile(const NamespaceFile&) = delete;
  ~NamespaceFile() {
    if (!path_.empty()) ::umount2(path_.c_str(), MNT_DETACH);
  }

  const std::string& path() const { return path_; }
  // "net:[4026532177]", as readlink /proc/<pid>/ns/net shows it inside the namespace.
  std::string Link(const char* proc_name) const {
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0) return "";
    return std::string(proc_name) + ":[" + std::to_string(st.st_ino) + "]";
  }

 private:
  explicit NamespaceFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Sets the MTU of lo in the calling thread's network namespace, leaving it down: a mark the
// container can only see when it is in this namespace and nobody configured lo.
std::string MarkLoopback() {
  const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return std::string("socket: ") + std::strerror(errno);
  ifreq req = {};
  std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  req.ifr_mtu = 1234;
  const int r = ::ioctl(sock, SIOCSIFMTU, &req);
  const int err = errno;
  ::close(sock);
  return r == 0 ? "" : std::string("set the mtu of lo: ") + std::strerror(err);
}

// Gives the bundle's `type` namespace a path.
void JoinIn(json& config, const std::string& type, const std::string& path) {
  for (json& ns : config["linux"]["namespaces"]) {
    if (ns["type"] == type) ns["path"] = path;
  }
}

std::string Which(const std::string& program) {
  for (const char* dir : {"/usr/bin", "/usr/sbin", "/bin", "/sbin"}) {
    const std::string path = std::string(dir) + "/" + program;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

// Runs the bundle with runc or crun (crun 1.8.1 refuses the hybrid cgroup layout, so it runs
// without /sys/fs/cgroup/unified in a mount namespace of its own, which still holds the
// namespace files bound before it was made).
CommandResult RunWithReference(const std::string& name, const RuntimeBundle& b,
                               const std::string& id) {
  b.WriteConfig();
  const std::string state = b.path() + "/state-" + name;
  const std::string stdin_path = b.path() + "/stdin";
  std::ofstream{stdin_path};
  if (name == "crun") {
    return RunCommand({"unshare", "--mount", "--propagation", "private", "sh", "-c",
                       "umount /sys/fs/cgroup/unified 2>/dev/null; exec \"$0\" --root \"$1\" run "
                       "--bundle \"$2\" \"$3\"",
                       Which("crun"), state, b.path(), id},
                      b.path(), 60, stdin_path);
  }
  return RunCommand({Which(name), "--root", state, "run", "--bundle", b.path(), id}, b.path(), 60,
                    stdin_path);
}

constexpr const char* kNetProbe =
    "readlink /proc/self/ns/net; ls /sys/class/net | tr '\\n' ' '; echo; "
    "cat /sys/class/net/lo/flags /sys/class/net/lo/mtu; "
    "for f in /proc/$$/fd/*; do readlink $f; done | grep -c 'net:' || true";

TEST_CASE("a namespace path is kept for network, uts and ipc, refused for other kinds or relative",
          "[executor][runtime][netns]") {
  json config = DefaultConfig({"true"});
  SECTION("network, uts and ipc") {
    JoinIn(config, "network", "/run/netns/a");
    JoinIn(config, "uts", "/run/uts");
    JoinIn(config, "ipc", "/run/ipc");
    Result<Spec> spec = ParseSpec(config.dump());
    REQUIRE(spec.has_value());
    CHECK(spec->linux.Has(NamespaceKind::kNetwork));
    REQUIRE(spec->linux.joined_namespaces.size() == 3);
    CHECK(spec->linux.joined_namespaces[0].kind == NamespaceKind::kIpc);
    CHECK(spec->linux.joined_namespaces[0].path == "/run/ipc");
    CHECK(spec->linux.joined_namespaces[0].field == "linux.namespaces[1].path");
    CHECK(spec->linux.joined_namespaces[2].kind == NamespaceKind::kNetwork);
    CHECK(spec->linux.joined_namespaces[2].path == "/run/netns/a");
  }
  SECTION("an empty path asks for a new namespace") {
    JoinIn(config, "network", "");
    Result<Spec> spec = ParseSpec(config.dump());
    REQUIRE(spec.has_value());
    CHECK(spec->linux.joined_namespaces.empty());
  }
  for (const char* kind : {"pid", "mount"}) {
    DYNAMIC_SECTION("a " << kind << " namespace") {
      JoinIn(config, kind, "/proc/1/ns/x");
      Result<Spec> spec = ParseSpec(config.dump());
      REQUIRE_FALSE(spec.has_value());
      CHECK(spec.error().message.find("not implemented by buildtool-runtime (joining a " +
                                      std::string(kind) + " namespace)") != std::string::npos);
    }
  }
  SECTION("a relative path") {
    JoinIn(config, "network", "run/netns/a");
    Result<Spec> spec = ParseSpec(config.dump());
    REQUIRE_FALSE(spec.has_value());
    CHECK(spec.error().message == "linux.namespaces[4].path: must be an absolute path");
  }
}

TEST_CASE("the plan checks that a joined namespace's file is a namespace of its type",
          "[executor][runtime][netns]") {
  Linux linux;
  linux.namespaces = {NamespaceKind::kMount, NamespaceKind::kNetwork, NamespaceKind::kUts};
  const auto plan_with = [&](NamespaceKind kind, const std::string& path) {
    linux.joined_namespaces = {JoinedNamespace{kind, path, "linux.namespaces[1].path"}};
    return PlanNamespaces(linux, true);
  };
  const auto message = [](const Result<NamespacePlan>& r) {
    if (r) return std::string();
    std::string m;
    for (auto it = r.error().context.rbegin(); it != r.error().context.rend(); ++it) {
      m += *it + ": ";
    }
    return m + r.error().message;
  };
  SECTION("the runtime's own network namespace: joined, not unshared, lo left alone") {
    Result<NamespacePlan> plan = plan_with(NamespaceKind::kNetwork, "/proc/self/ns/net");
    REQUIRE(plan.has_value());
    CHECK((plan->unshare_flags & CLONE_NEWNET) == 0);
    CHECK((plan->unshare_flags & CLONE_NEWUTS) != 0);
    CHECK_FALSE(plan->network);
    REQUIRE(plan->joins.size() == 1);
    CHECK(plan->joins[0].nstype == CLONE_NEWNET);
    CHECK(plan->joins[0].path == "/proc/self/ns/net");
  }
  SECTION("a regular file") {
    CHECK(message(plan_with(NamespaceKind::kNetwork, "/etc/hostname")) ==
          "linux.namespaces[1].path: \"/etc/hostname\" is not a network namespace (not a "
          "namespace file such as /proc/<pid>/ns/net or a bind mount of one)");
  }
  SECTION("a namespace of another type") {
    CHECK(message(plan_with(NamespaceKind::kNetwork, "/proc/self/ns/uts")) ==
          "linux.namespaces[1].path: \"/proc/self/ns/uts\" is a uts namespace, not a network "
          "namespace");
    CHECK(message(plan_with(NamespaceKind::kUts, "/proc/self/ns/net")) ==
          "linux.namespaces[1].path: \"/proc/self/ns/net\" is a network namespace, not a uts "
          "namespace");
  }
  SECTION("a missing file") {
    const Result<NamespacePlan> r = plan_with(NamespaceKind::kNetwork, "/no/such/netns");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kIo);
    CHECK(message(r) ==
          "linux.namespaces[1].path: open namespace file /no/such/netns: No such file or "
          "directory");
  }
  SECTION("together with a new user namespace") {
    linux.namespaces.push_back(NamespaceKind::kUser);
    linux.uid_mappings = {{0, 100000, 65536}};
    linux.gid_mappings = {{0, 100000, 65536}};
    CHECK(message(plan_with(NamespaceKind::kNetwork, "/proc/self/ns/net")) ==
          "linux.namespaces[1].path: joining an existing namespace together with a new user "
          "namespace is not implemented by buildtool-runtime");
  }
}

TEST_CASE("a joined network namespace is the container's, its lo untouched, no fd of it left",
          "[executor][runtime][netns][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  RuntimeBundle b = MakeBundle({"sh", "-c", kNetProbe});
  std::string why;
  std::optional<NamespaceFile> netns =
      NamespaceFile::Create(b.path() + "/netns", CLONE_NEWNET, "net", MarkLoopback, &why);
  INFO(why);
  REQUIRE(netns.has_value());
  JoinIn(b.config, "network", netns->path());
  // The namespace's own identity, its only interface as it was left (IFF_LOOPBACK without
  // IFF_UP, mtu 1234: runc configures lo only in a namespace it creates), seen through the
  // sysfs mounted after the join; and no descriptor of a network namespace in the process.
  const std::string expected = netns->Link("net") + "\nlo \n0x8\n1234\n0\n";
  const CommandResult r = b.Run(kRuntime, UniqueContainerId("netns-join"));
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == expected);

  for (const char* reference : {"runc", "crun"}) {
    if (Which(reference).empty()) {
      WARN("SKIPPED: " << reference << " is not installed");
      continue;
    }
    const CommandResult ref = RunWithReference(reference, b, UniqueContainerId("netns-ref"));
    if (ref.status != 0) {
      WARN("SKIPPED: " << reference << " cannot run here: " << ref.err);
      continue;
    }
    INFO(reference);
    CHECK(ref.out == expected);
  }
}

TEST_CASE("joined uts and ipc namespaces are the container's", "[executor][runtime][netns][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  RuntimeBundle b =
      MakeBundle({"sh", "-c", "hostname; readlink /proc/self/ns/uts; readlink /proc/self/ns/ipc"});
  std::string why;
  std::optional<NamespaceFile> uts = NamespaceFile::Create(
      b.path() + "/uts", CLONE_NEWUTS, "uts",
      [] {
        static constexpr char kName[] = "joined-uts";
        return ::sethostname(kName, sizeof kName - 1) == 0
                   ? std::string()
                   : std::string("sethostname: ") + std::strerror(errno);
      },
      &why);
  INFO(why);
  REQUIRE(uts.has_value());
  std::optional<NamespaceFile> ipc =
      NamespaceFile::Create(b.path() + "/ipc", CLONE_NEWIPC, "ipc", {}, &why);
  INFO(why);
  REQUIRE(ipc.has_value());
  b.config.erase("hostname");  // the joined namespace's name stays
  JoinIn(b.config, "uts", uts->path());
  JoinIn(b.config, "ipc", ipc->path());
  const CommandResult r = b.Run(kRuntime, UniqueContainerId("uts-ipc-join"));
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "joined-uts\n" + uts->Link("uts") + "\n" + ipc->Link("ipc") + "\n");
}

TEST_CASE("a namespace path that is not a network namespace fails before the start, exit 125",
          "[executor][runtime][netns][root]") {
  RUNTIME_TEST_PRECONDITIONS();
  RuntimeBundle b = MakeBundle({"sh", "-c", "echo started"});
  SECTION("a regular file") {
    std::ofstream(b.path() + "/not-a-netns") << "x";
    JoinIn(b.config, "network", b.path() + "/not-a-netns");
    const CommandResult r = b.Run(kRuntime, UniqueContainerId("netns-file"));
    CHECK(r.status == 125);
    CHECK(r.out.empty());
    CHECK(r.err == "buildtool-runtime: linux.namespaces[4].path: \"" + b.path() +
                       "/not-a-netns\" is not a network namespace (not a namespace file such as "
                       "/proc/<pid>/ns/net or a bind mount of one)\n");
  }
  SECTION("a uts namespace") {
    JoinIn(b.config, "network", "/proc/self/ns/uts");
    const CommandResult r = b.Run(kRuntime, UniqueContainerId("netns-uts"));
    CHECK(r.status == 125);
    CHECK(r.out.empty());
    CHECK(r.err.find("linux.namespaces[4].path: \"/proc/self/ns/uts\" is a uts namespace, not a "
                     "network namespace") != std::string::npos);
  }
}

}  // namespace
}  // namespace bt::test
