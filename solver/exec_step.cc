#include "solver/exec_step.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <optional>
#include <utility>

#include "base/atomic_file.h"
#include "base/temp_dir.h"
#include "cache/cache_mounts.h"
#include "executor/fileop/apply_file_actions.h"
#include "executor/fileop/root_dir.h"
#include "executor/mount/bind_mount.h"
#include "executor/sandbox/agent_socket_proxy.h"
#include "executor/sandbox/etc_files.h"
#include "executor/sandbox/exec_user.h"
#include "executor/sandbox/mount_stubs.h"
#include "executor/sandbox/special_dirs.h"
#include "executor/sandbox/runtime_config.h"
#include "executor/sandbox/runtime_process.h"
#include "solver/active_snapshot.h"
#include "solver/ir_overloaded.h"
#include "solver/tree_view.h"

namespace bt::solver {
namespace {

Error Invalid(std::string message) { return MakeError(ErrorCode::kInvalidArgument, std::move(message)); }

std::string JoinArgs(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& a : args) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

Result<void> WriteFile(const std::string& path, const std::string& data, mode_t mode) {
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd.valid()) return ErrnoError("create", path, errno);
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path, errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

// What `id` names in one of the build's secret maps; nullptr when it was not given.
const std::string* Lookup(const BuildSecrets* secrets,
                          std::map<std::string, std::string> BuildSecrets::*which,
                          const std::string& id) {
  if (secrets == nullptr) return nullptr;
  const auto& values = secrets->*which;
  const auto it = values.find(id);
  return it == values.end() ? nullptr : &it->second;
}

// Copies the whole tree at `src` into the directory `dest`, as COPY src/ / would.
Result<void> CopyTree(const executor::SourceTree& src, const std::string& dest,
                      const executor::FileActionOptions& options) {
  executor::FileActionTrees trees;
  trees.dest = dest;
  trees.sources.push_back(src);
  executor::CopySpec spec;
  spec.source = 0;
  spec.src = "/";
  spec.dest = "/";
  spec.copy_dir_contents = true;
  const std::vector<executor::FileActionSpec> specs = {spec};
  return executor::ApplyFileActions(trees, specs, options);
}

// Everything a step mounted or made for its process, released in reverse order of creation
// (members are destroyed bottom-up): mounts inside the bundle go before the bundle.
struct StepMounts {
  std::vector<TreeView> views;                  // input trees read by binds
  std::vector<TempDir> copies;                  // writable or filtered copies
  std::vector<cache::CacheMountHold> caches;           // held cache instances
  std::vector<executor::MountedTree> mounts;    // binds and tmpfs at the bundle's mount points
  std::vector<executor::AgentSocketProxy> agents;  // ssh agent relays, stopped first
};

// The tree a bind mount or a cache seed reads: a view of the input, or for a build context
// a copy that leaves out what .dockerignore excludes (BuildKit never transfers it).
Result<std::string> InputDir(cache::CacheRoot& root, const ExecStepOptions& options,
                             const Tree& tree, StepMounts& held) {
  BT_ASSIGN_OR_RETURN(TreeView view, OpenView(root, options.scratch_dir, tree));
  if (view.excludes == nullptr) {
    std::string path = view.path;
    held.views.push_back(std::move(view));
    return path;
  }
  BT_ASSIGN_OR_RETURN(TempDir copy, TempDir::Create(options.scratch_dir, "context-"));
  BT_TRY(CopyTree(executor::SourceTree{view.path, view.owners, view.excludes}, copy.path(),
                  options.file_actions));
  std::string path = copy.path();
  held.copies.push_back(std::move(copy));
  return path;
}

// The root input: the parent snapshot of the step's rootfs (nullopt: scratch).
Result<std::optional<std::string>> RootParent(const ir::ExecOp& op, const std::vector<Tree>& inputs) {
  if (op.mounts.empty() || op.mounts[0].dest != "/") {
    return MakeError(ErrorCode::kInternal, "an exec op without a root mount");
  }
  const auto* bind = std::get_if<ir::BindMount>(&op.mounts[0].kind);
  if (bind == nullptr) return MakeError(ErrorCode::kInternal, "an exec op's root is not a bind");
  if (bind->source == ir::kScratch) return std::optional<std::string>();
  const Tree& tree = inputs.at(static_cast<std::size_t>(bind->source));
  if (const auto* snapshot = std::get_if<SnapshotTree>(&tree)) return std::optional<std::string>(snapshot->id);
  if (std::holds_alternative<EmptyTree>(tree)) return std::optional<std::string>();
  return MakeError(ErrorCode::kInternal, "RUN cannot use a build context as its root");
}

// The mounts of RUN --mount, made ready at mount points in `bundle` (binds through in-root
// fds) and described for the runtime. Secrets given as environment variables go to `env`.
Result<void> PrepareMounts(const StepContext& ctx, const ir::ExecOp& op,
                           const std::vector<Tree>& inputs, cache::CacheRoot& root,
                           const ExecStepOptions& options, const std::string& bundle,
                           StepMounts& held, executor::SandboxSpec& spec) {
  const std::function<bool()> stopping = [&ctx] { return ctx.Stopping(); };
  for (std::size_t i = 1; i < op.mounts.size(); ++i) {
    const ir::Mount& m = op.mounts[i];
    const std::string point = bundle + "/mnt" + std::to_string(i);
    executor::SandboxMount out;
    out.destination = m.dest;
    const Result<void> made = std::visit(
        ir::Overloaded{
            [&](const ir::BindMount& b) -> Result<void> {
              const Tree& tree = b.source == ir::kScratch ? Tree(EmptyTree{})
                                                          : inputs.at(static_cast<std::size_t>(b.source));
              BT_ASSIGN_OR_RETURN(std::string dir, InputDir(root, options, tree, held));
              if (!b.readonly) {
                // rw: the step may change the bind, but its changes are discarded.
                BT_ASSIGN_OR_RETURN(TempDir copy, TempDir::Create(options.scratch_dir, "rw-"));
                BT_TRY(CopyTree(executor::SourceTree{dir, executor::SourceOwners::kAsStored, nullptr},
                                copy.path(), options.file_actions));
                dir = copy.path();
                held.copies.push_back(std::move(copy));
              }
              Result<executor::MountedTree> bound = executor::BindInRoot(dir, b.selector, point);
              if (!bound) return std::move(bound).error().Wrap("mount " + m.dest);
              out.source = bound->path();
              held.mounts.push_back(std::move(*bound));
              out.readonly = b.readonly;
              return {};
            },
            [&](const ir::CacheMount& c) -> Result<void> {
              cache::CacheMountSeed seed;
              if (c.source != ir::kScratch) {
                const Tree& from = inputs.at(static_cast<std::size_t>(c.source));
                seed = [&, from](const std::string& dir) -> Result<void> {
                  BT_ASSIGN_OR_RETURN(std::string src, InputDir(root, options, from, held));
                  return CopyTree(executor::SourceTree{src, executor::SourceOwners::kAsStored, nullptr},
                                  dir, options.file_actions);
                };
              }
              cache::CacheMountSpec want;
              want.id = c.id;
              want.sharing = c.sharing == ir::CacheSharing::kShared    ? cache::CacheMountSharing::kShared
                             : c.sharing == ir::CacheSharing::kPrivate ? cache::CacheMountSharing::kPrivate
                                                                       : cache::CacheMountSharing::kLocked;
              want.mode = c.mode;
              want.uid = c.uid;
              want.gid = c.gid;
              BT_ASSIGN_OR_RETURN(cache::CacheMountHold hold,
                                  cache::HoldCacheMount(root.cache_mounts_dir(), want, seed, stopping));
              // With `from`, `source` picks the part of the seed; without, a directory of the
              // cache. Either way it is resolved in-root and bound through an fd (case 9).
              Result<executor::MountedTree> bound = executor::BindInRoot(hold.dir(), c.selector, point);
              if (!bound) return std::move(bound).error().Wrap("mount cache " + m.dest);
              out.source = bound->path();
              held.mounts.push_back(std::move(*bound));
              held.caches.push_back(std::move(hold));
              out.readonly = c.readonly;
              return {};
            },
            [&](const ir::TmpfsMount& t) -> Result<void> {
              out.kind = executor::SandboxMount::Kind::kTmpfs;
              out.tmpfs_size = t.size_bytes;
              out.options = {"nosuid", "nodev"};
              return {};
            },
            [&](const ir::SecretMount& s) -> Result<void> {
              const std::string* value = Lookup(options.secrets, &BuildSecrets::values, s.id);
              if (value == nullptr) {
                if (s.required) return Invalid("secret " + s.id + ": not found");
                out.destination.clear();  // optional and not given: no mount (BuildKit)
                return {};
              }
              // A fresh tmpfs per secret, as BuildKit's secretMountInstance makes it.
              BT_ASSIGN_OR_RETURN(executor::MountedTree fs, executor::MountTmpfs(point, 0700, 1 << 20));
              const std::string file = fs.path() + "/secret";
              BT_TRY(WriteFile(file, *value, s.mode & 07777));
              if (::chown(file.c_str(), s.uid, s.gid) != 0) return ErrnoError("chown", "secret " + s.id, errno);
              if (::chmod(file.c_str(), s.mode & 07777) != 0) return ErrnoError("chmod", "secret " + s.id, errno);
              out.source = file;
              out.readonly = true;
              out.options = {"nosuid", "nodev"};
              if ((s.mode & 0111) == 0) out.options.push_back("noexec");
              held.mounts.push_back(std::move(fs));
              return {};
            },
            [&](const ir::SshMount& s) -> Result<void> {
              const std::string* socket = Lookup(options.secrets, &BuildSecrets::ssh_sockets, s.id);
              if (socket == nullptr) {
                if (s.required) {
                  return Invalid("no SSH key " + s.id + " forwarded from the client (use --ssh " + s.id + ")");
                }
                out.destination.clear();
                return {};
              }
              // A socket of our own with the mount's owner and mode, relaying to the agent
              // (BuildKit's sshforward); the agent's own socket never enters the step.
              BT_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create(options.scratch_dir, "ssh-"));
              BT_ASSIGN_OR_RETURN(executor::AgentSocketProxy proxy,
                                  executor::AgentSocketProxy::Start(dir.path() + "/agent.sock", *socket,
                                                                    s.uid, s.gid, s.mode));
              out.source = proxy.path();
              out.readonly = false;
              out.options = {"nosuid", "nodev", "noexec"};
              held.agents.push_back(std::move(proxy));
              held.copies.push_back(std::move(dir));
              return {};
            },
        },
        m.kind);
    BT_TRY(made);
    if (!out.destination.empty()) spec.mounts.push_back(std::move(out));
  }
  for (const ir::SecretEnv& e : op.secret_env) {
    const std::string* value = Lookup(options.secrets, &BuildSecrets::values, e.id);
    if (value == nullptr) {
      if (e.required) return Invalid("secret " + e.id + ": not found");
      continue;
    }
    spec.env.push_back(e.name + "=" + *value);
  }
  return {};
}

// The process's environment: the op's, its proxy variables, and what runc would add itself
// (HOME from /etc/passwd, libcontainer getUserHome) or containerd's default PATH, so that
// every runtime gives the same environment.
void AddProcessEnv(const ir::ExecOp& op, const executor::ExecUser& user, std::vector<std::string>& env) {
  for (const auto& [k, v] : op.env) env.push_back(k + "=" + v);
  for (const auto& [k, v] : op.proxy_env) env.push_back(k + "=" + v);
  bool has_path = false;
  bool has_home = false;
  for (const std::string& e : env) {
    has_path = has_path || e.rfind("PATH=", 0) == 0;
    has_home = has_home || e.rfind("HOME=", 0) == 0;
  }
  if (!has_home) env.push_back("HOME=" + user.home);
  if (!has_path) env.insert(env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
}

// /etc/hosts, /etc/resolv.conf and /etc/hostname of the step: files written in the bundle,
// bound read-only over the image's.
Result<std::vector<executor::SandboxMount>> EtcMounts(const ir::ExecOp& op,
                                                      const ExecStepOptions& options,
                                                      const executor::SandboxSpec& spec,
                                                      const std::string& bundle) {
  std::vector<executor::ExtraHost> extra_hosts;
  for (const ir::ExtraHost& h : op.extra_hosts) extra_hosts.push_back({h.host, h.ip});
  const std::string& resolv = spec.network == executor::StepNetwork::kHost
                                  ? options.host_resolv_conf
                                  : options.sandbox_resolv_conf;
  const std::pair<const char*, std::string> files[] = {
      {"hosts", executor::HostsFile(spec.hostname, extra_hosts)},
      {"resolv.conf", executor::ResolvConfFor(resolv, spec.network)},
      {"hostname", executor::HostnameFile(spec.hostname)},
  };
  std::vector<executor::SandboxMount> mounts;
  for (const auto& [name, text] : files) {
    const std::string file = bundle + "/etc-" + name;
    BT_TRY(WriteFile(file, text, 0644));
    executor::SandboxMount m;
    m.destination = std::string("/etc/") + name;
    m.source = file;
    m.readonly = true;
    m.options = {"nosuid", "noexec", "nodev"};
    mounts.push_back(std::move(m));
  }
  return mounts;
}

std::atomic<std::uint64_t> g_container_counter{0};

}  // namespace

Result<std::vector<StepOutput>> RunExecStep(const StepContext& ctx, const ir::ExecOp& op,
                                            const oci::Platform& platform,
                                            const std::vector<Tree>& inputs,
                                            cache::CacheRoot& root,
                                            const ExecStepOptions& options) {
  if (op.args.empty()) return Invalid("RUN with an empty command");
  BT_ASSIGN_OR_RETURN(const std::optional<std::string> parent, RootParent(op, inputs));
  BT_ASSIGN_OR_RETURN(TempDir bundle_parent, TempDir::Create(options.scratch_dir, "run-"));
  // The bundle lives in memory: config.json holds the step's environment, secrets given with
  // env= included, and a secret must never reach a disk (SECURITY.md case 18).
  BT_ASSIGN_OR_RETURN(executor::MountedTree bundle_fs,
                      executor::MountTmpfs(bundle_parent.path() + "/bundle", 0700, 16 << 20));
  const std::string& bundle = bundle_fs.path();
  StepMounts held;
  executor::SandboxSpec spec;
  BT_TRY(PrepareMounts(ctx, op, inputs, root, options, bundle, held, spec));

  BT_ASSIGN_OR_RETURN(ActiveSnapshot active, ActiveSnapshot::Prepare(ctx, parent));
  BT_ASSIGN_OR_RETURN(WritableRootfs rootfs,
                      MountWritableRootfs(root, options.scratch_dir, active.id(), parent));
  BT_ASSIGN_OR_RETURN(executor::RootDir rootdir, executor::RootDir::Open(rootfs.path, "rootfs"));

  BT_TRY(executor::CheckSpecialDirectories(rootdir));
  BT_ASSIGN_OR_RETURN(const executor::ExecUser user, executor::ResolveExecUser(rootdir, op.user));
  // The working directory is made when missing, 0755 and root's (runcexecutor's
  // MkdirAllAndChown with the root identity).
  BT_ASSIGN_OR_RETURN(const std::string cwd, rootdir.Resolve(op.cwd, cache::FinalComponent::kFollow));
  executor::NewDirs dirs;
  dirs.owner = executor::UidGid{0, 0};
  BT_TRY(rootdir.MkdirAll(cwd, dirs, nullptr));

  spec.args = op.args;
  AddProcessEnv(op, user, spec.env);
  spec.cwd = op.cwd;
  spec.uid = user.uid;
  spec.gid = user.gid;
  spec.additional_gids = user.additional_gids;
  if (!op.hostname.empty()) spec.hostname = op.hostname;
  spec.rootfs = rootfs.path;
  spec.insecure = op.security == ir::SecurityMode::kInsecure;
  spec.arch = platform.architecture;
  spec.network = op.network == ir::NetMode::kHost   ? executor::StepNetwork::kHost
                 : op.network == ir::NetMode::kNone ? executor::StepNetwork::kNone
                                                    : executor::StepNetwork::kSandbox;
  const std::string id = "buildtool-" + active.id() + "-" + std::to_string(++g_container_counter);
  if (options.pids_limit > 0) {
    spec.pids_limit = options.pids_limit;
    spec.cgroups_path = "/buildtool/" + id;
  }

  BT_ASSIGN_OR_RETURN(std::vector<executor::SandboxMount> etc, EtcMounts(op, options, spec, bundle));
  spec.mounts.insert(spec.mounts.begin(), etc.begin(), etc.end());

  std::vector<std::string> destinations;
  for (const executor::SandboxMount& m : spec.mounts) destinations.push_back(m.destination);
  BT_ASSIGN_OR_RETURN(const executor::MountStubs stubs, executor::MountStubs::Note(rootdir, destinations));

  std::optional<NetworkPool::Lease> network;
  if (spec.network == executor::StepNetwork::kSandbox) {
    if (options.networks == nullptr) return MakeError(ErrorCode::kInternal, "no network pool");
    BT_ASSIGN_OR_RETURN(network, options.networks->Acquire());
    spec.netns_path = network->path();
  }

  {
    std::ofstream config(bundle + "/config.json");
    config << executor::RuntimeConfig(spec).dump();
    if (!config.flush()) return ErrnoError("write", bundle + "/config.json", errno);
  }
  if (ctx.Stopping()) return MakeError(ErrorCode::kCancelled, "the build is stopping");

  executor::RuntimeInvocation run;
  run.runtime = options.runtime;
  run.state_root = options.scratch_dir + "/runtime";
  run.bundle = bundle;
  run.id = id;
  run.output = [&ctx](int stream, std::string_view data) {
    ctx.progress->Emit(LogEvent{ctx.digest, stream, std::string(data), std::chrono::system_clock::now()});
  };
  run.stopping = [&ctx] { return ctx.Stopping(); };
  BT_ASSIGN_OR_RETURN(const executor::RuntimeOutcome outcome, executor::RunOciRuntime(run));

  network.reset();
  BT_TRY(stubs.Remove(rootdir));
  if (outcome.stopped) return MakeError(ErrorCode::kCancelled, "the build is stopping");
  if (!outcome.runtime_error.empty() && outcome.status >= 125) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "executor failed running [" + JoinArgs(op.args) + "]: " + outcome.runtime_error);
  }
  if (outcome.status != 0) {
    // dockerd 20.10's BuildKit's words (the conformance case neg-run-exit-code).
    return MakeError(ErrorCode::kFailedPrecondition, "executor failed running [" + JoinArgs(op.args) +
                                                         "]: exit code: " + std::to_string(outcome.status));
  }
  held = StepMounts{};
  BT_TRY(rootfs.Unmount());
  BT_ASSIGN_OR_RETURN(StepOutput out, active.Commit());
  return std::vector<StepOutput>{out};
}

}  // namespace bt::solver
