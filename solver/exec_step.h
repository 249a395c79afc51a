// RunExecStep: a RUN step (an ExecOp) on snapshots, BuildKit's ops/exec.go with its runc
// executor. It prepares an active snapshot on the root input and mounts it writable, resolves
// the user in that rootfs, creates the working directory, prepares every mount (binds of
// other trees through in-root fds, persistent cache directories, tmpfs, secrets in a fresh
// tmpfs, the ssh agent socket), the /etc/hosts, /etc/resolv.conf and /etc/hostname of the
// step, and the network (a slirp4netns namespace per step, none, or the host's), writes the
// OCI bundle, runs the OCI runtime with the output streamed to progress, removes mount stubs
// and commits the rootfs's changes as the step's snapshot. Everything it mounted or wrote
// outside the snapshot is gone when it returns, on success or failure.
// Thread-safe: steps run concurrently, each with its own scratch directories.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "cache/cache_root.h"
#include "executor/fileop/file_action_options.h"
#include "solver/build_secrets.h"
#include "solver/network_pool.h"
#include "solver/step_runner.h"

namespace bt::solver {

struct ExecStepOptions {
  std::string runtime;      // the OCI runtime binary: buildtool-runtime, crun, runc or a path
  std::string scratch_dir;  // where bundles, mount points and network namespaces live
  std::string host_resolv_conf;           // the host's /etc/resolv.conf text
  // What steps off the host network start from: the same, or systemd-resolved's upstream
  // file when the host's names only its local stub (etc_files.h ResolvConfSourcePath).
  std::string sandbox_resolv_conf;
  std::int64_t pids_limit = 0;            // > 0: tasks per step (needs a pids cgroup)
  const BuildSecrets* secrets = nullptr;  // --secret and --ssh; nullptr: none given
  NetworkPool* networks = nullptr;        // the build's sandbox networks; never null for RUN
  executor::FileActionOptions file_actions;
};

// `platform` is the op's: its architecture chooses the seccomp profile's.
Result<std::vector<StepOutput>> RunExecStep(const StepContext& ctx, const ir::ExecOp& op,
                                            const oci::Platform& platform,
                                            const std::vector<Tree>& inputs,
                                            cache::CacheRoot& root,
                                            const ExecStepOptions& options);

}  // namespace bt::solver
