// SandboxSpec: everything the executor needs to know to run one RUN step's process, as plain
// data (the executor never sees an IR op, ARCHITECTURE.md). The solver fills it from an
// ExecOp, the user resolved in the rootfs and the mounts it prepared; runtime_config.h turns
// it into an OCI runtime config.json. No behaviour; copy freely.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bt::executor {

// The network a step gets (SECURITY.md decision 4).
enum class StepNetwork {
  kSandbox,  // its own network namespace, joined at `netns_path`, outbound through slirp4netns
  kHost,     // the host's network namespace (needs --allow network.host)
  kNone,     // its own network namespace with only loopback
};

// A mount of the step besides the default ones (/proc, /dev, /sys, ...), in order.
struct SandboxMount {
  enum class Kind { kBind, kTmpfs };
  Kind kind = Kind::kBind;
  std::string destination;  // absolute inside the container
  std::string source;       // kBind: a host path (a directory or a file)
  bool readonly = false;
  std::uint64_t tmpfs_size = 0;       // kTmpfs: bytes; 0 = the kernel's default
  std::vector<std::string> options;  // more mount options: "nosuid", "nodev", "noexec"
};

struct SandboxSpec {
  std::vector<std::string> args;  // never empty
  std::vector<std::string> env;   // "K=V"
  std::string cwd = "/";          // absolute inside the container
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> additional_gids;
  std::string hostname = "buildkitsandbox";
  std::string rootfs;  // absolute host path of the mounted root filesystem
  StepNetwork network = StepNetwork::kSandbox;
  std::string netns_path;  // kSandbox: the network namespace to join
  bool insecure = false;   // RUN --security=insecure (needs --allow security.insecure)
  std::string arch = "amd64";  // GOARCH of the process, for the seccomp profile
  std::int64_t pids_limit = 0;  // > 0: at most this many tasks (needs a pids cgroup)
  std::string cgroups_path;     // where the runtime puts the step's cgroup, "" = none
  std::vector<SandboxMount> mounts;
};

}  // namespace bt::executor
