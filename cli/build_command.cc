#include "cli/build_command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/temp_dir.h"
#include "cache/build_scratch.h"
#include "cache/lease.h"
#include "cli/cache_root_path.h"
#include "cli/error_report.h"
#include "cli/image_output.h"
#include "cli/registry_access.h"
#include "cli/output_spec.h"
#include "cli/progress/make_progress_sink.h"
#include "cli/source_file.h"
#include "cli/startup_warmup.h"
#include "executor/mount/overlay_mount.h"
#include "executor/sandbox/etc_files.h"
#include "exporter/filesystem_output.h"
#include "exporter/store_resolver.h"
#include "frontend/dockerfile_parser.h"
#include "frontend/dockerfile_to_ir.h"
#include "oci/http_client.h"
#include "oci/registry_client.h"
#include "solver/build_step_runner.h"
#include "solver/scheduler.h"

namespace bt::cli {
namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;
// Tasks (processes and threads) one RUN step may have at once: far above what builds use,
// low enough that a fork bomb meets it long before the machine's limit.
constexpr std::int64_t kStepPidsLimit = 4096;

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

void OnInterrupt(int) { g_interrupted.store(true); }

void InstallInterruptHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

int Report(const Error& error, std::string_view source = "") {
  std::fputs(FormatError(error, source).c_str(), stderr);
  return kExitFailed;
}

// SOURCE_DATE_EPOCH, from --build-arg (last one wins) or else the environment, as buildx
// passes it: the image's dates (and with rewrite-timestamp its files'). kInvalidArgument for a
// value that is not a number of seconds.
Result<std::optional<std::int64_t>> SourceDateEpoch(const BuildFlags& flags) {
  std::optional<std::string> text;
  if (const char* env = std::getenv("SOURCE_DATE_EPOCH"); env != nullptr && *env != '\0') text = env;
  for (const std::string& arg : flags.build_args) {
    if (arg.rfind("SOURCE_DATE_EPOCH=", 0) == 0) text = arg.substr(18);
  }
  if (!text || text->empty()) return std::optional<std::int64_t>();
  std::int64_t value = 0;
  for (char c : *text) {
    if (c < '0' || c > '9' || value > (INT64_MAX - 9) / 10) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "SOURCE_DATE_EPOCH=" + *text + ": want a number of seconds since 1970");
    }
    value = value * 10 + (c - '0');
  }
  return std::optional<std::int64_t>(value);
}

// --label KEY=VALUE values. kInvalidArgument for one without '=' or with an empty key.
Result<std::map<std::string, std::string>> ParseLabels(const std::vector<std::string>& labels) {
  std::map<std::string, std::string> out;
  for (const std::string& l : labels) {
    const std::size_t eq = l.find('=');
    if (eq == std::string::npos || eq == 0) {
      return MakeError(ErrorCode::kInvalidArgument, "--label " + l + ": want KEY=VALUE");
    }
    out[l.substr(0, eq)] = l.substr(eq + 1);
  }
  return out;
}

// --iidfile (the digest alone, as docker writes it) and --metadata-file (buildx's keys).
Result<void> WriteBuildRecords(const BuildCommandFlags& flags, const ExportedImage& image) {
  if (!flags.iidfile.empty()) {
    BT_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(flags.iidfile, 0644));
    BT_TRY(file.Write(image.manifest.digest.ToString()));
    BT_TRY(file.Commit());
  }
  if (!flags.metadata_file.empty()) {
    nlohmann::ordered_json j;
    j["containerimage.config.digest"] = image.config.ToString();
    j["containerimage.descriptor"] = {{"mediaType", image.manifest.media_type},
                                      {"digest", image.manifest.digest.ToString()},
                                      {"size", image.manifest.size}};
    j["containerimage.digest"] = image.manifest.digest.ToString();
    std::string names;
    for (const oci::Reference& n : image.names) names += (names.empty() ? "" : ",") + n.ToString();
    if (!names.empty()) j["image.name"] = names;
    BT_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(flags.metadata_file, 0644));
    BT_TRY(file.Write(j.dump(2) + "\n"));
    BT_TRY(file.Commit());
  }
  return {};
}

// The outputs this build can write; the rest are refused before anything runs.
Result<std::vector<OutputSpec>> CheckOutputs(const BuildCommandFlags& flags) {
  BT_ASSIGN_OR_RETURN(const std::vector<oci::Reference> tags, ParseTags(flags.tags));
  BT_TRY(SourceDateEpoch(flags.build));
  BT_TRY(ParseLabels(flags.labels));
  std::vector<OutputSpec> outputs;
  bool image_output = false;
  for (const std::string& value : flags.outputs) {
    BT_ASSIGN_OR_RETURN(OutputSpec spec, ParseOutputSpec(value));
    if (spec.type == "registry") {
      // buildx: type=registry is type=image,push=true.
      spec.type = "image";
      spec.attrs["push"] = "true";
    }
    if (IsImageOutput(spec)) {
      BT_TRY(CheckImageOutput(spec, tags));
      if (spec.type != "image" && spec.destination == "-" && spec.attrs.count("tar") == 0 &&
          ::isatty(STDOUT_FILENO)) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "refusing to write a tar to the terminal: redirect standard output");
      }
      image_output = true;
      outputs.push_back(std::move(spec));
      continue;
    }
    if (spec.type != "local" && spec.type != "tar") {
      return MakeError(ErrorCode::kInvalidArgument,
                       "output type \"" + spec.type +
                           "\" is not supported (supported: local, tar, image, oci, docker)");
    }
    if (spec.destination.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "output type " + spec.type + " needs dest=PATH");
    }
    if (spec.type == "tar" && spec.destination == "-" && ::isatty(STDOUT_FILENO)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "refusing to write a tar to the terminal: redirect standard output");
    }
    outputs.push_back(std::move(spec));
  }
  if (flags.push && image_output) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--push is type=registry: give it instead of an image output, not with one");
  }
  if (!tags.empty() && !image_output) {
    // -t alone: the image goes to the local image store under those names, as with docker;
    // --push sends it to their registries too.
    OutputSpec image;
    image.type = "image";
    if (flags.push) image.attrs["push"] = "true";
    BT_TRY(CheckImageOutput(image, tags));
    outputs.push_back(std::move(image));
  } else if (flags.push) {
    return MakeError(ErrorCode::kInvalidArgument, "--push needs -t NAME: where to push");
  }
  return outputs;
}

// What the probe found on this root under this kernel, so later builds skip the probe (a
// fork and a test mount): "<kernel release> <works 0|1>".
std::string KernelRelease() {
  struct utsname u;
  return ::uname(&u) == 0 ? std::string(u.release) : std::string();
}

// overlayfs where it works (needs the private mount namespace), copies otherwise.
Result<cache::SnapshotterKind> ChooseSnapshotter(const BuildCommandFlags& flags,
                                                 const std::string& root_path,
                                                 const Result<void>& private_namespace) {
  if (flags.snapshotter == "copy") return cache::SnapshotterKind::kCopy;
  if (!private_namespace) {
    if (flags.snapshotter == "overlayfs") {
      return Error(private_namespace.error()).Wrap("--snapshotter=overlayfs");
    }
    return cache::SnapshotterKind::kCopy;
  }
  ::mkdir(root_path.c_str(), 0700);
  const std::string marker = root_path + "/overlayfs-probe";
  const std::string release = KernelRelease();
  if (Result<std::string> known = ReadSourceFile(marker); known && *known == release + " 1\n") {
    return cache::SnapshotterKind::kOverlay;
  }
  Result<cache::OverlayfsProbe> probe = cache::ProbeOverlayfs(root_path);
  const bool works = probe && probe->works;
  if (Result<AtomicFile> file = AtomicFile::Create(marker, 0600); file) {
    if (file->Write(release + (works ? " 1\n" : " 0\n"))) (void)file->Commit();
  }
  if (works) return cache::SnapshotterKind::kOverlay;
  if (flags.snapshotter == "overlayfs") {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "--snapshotter=overlayfs: overlayfs does not work here: " +
                         (probe ? probe->reason : probe.error().message));
  }
  return cache::SnapshotterKind::kCopy;
}

// One export, shown as a step of its own as BuildKit shows "exporting to client directory".
Result<void> Export(const OutputSpec& spec, cache::CacheRoot& root, const std::string& scratch,
                    const std::optional<std::string>& snapshot, solver::ProgressSink& progress) {
  solver::VertexEvent event;
  event.vertex = oci::Digest::Of("export " + spec.type + " " + spec.destination);
  event.name = spec.type == "local" ? "exporting to client directory"
                                    : "exporting to client tarball";
  event.time = std::chrono::system_clock::now();
  progress.Emit(event);
  Result<void> done;
  if (spec.type == "local") {
    done = exporter::ExportToDirectory(root.snapshots(), snapshot, spec.destination);
  } else if (spec.destination == "-") {
    done = exporter::ExportToTar(root.snapshots(), snapshot, STDOUT_FILENO, scratch);
  } else {
    // Written beside the destination and renamed over it: a destination that is a symlink is
    // replaced, never written through (SECURITY.md case 28), and a failed export leaves the
    // old file.
    Result<AtomicFile> file = AtomicFile::Create(spec.destination, 0644);
    done = file ? exporter::ExportToTar(root.snapshots(), snapshot, file->fd(), scratch)
                : Result<void>(file.error());
    if (done) done = file->Commit();
  }
  event.time = std::chrono::system_clock::now();
  event.state = done ? solver::VertexState::kCompleted : solver::VertexState::kFailed;
  if (!done) event.error = done.error().message;
  progress.Emit(event);
  return done;
}

// What RUN steps need from the machine: the runtime, the host's resolv.conf, a pids limit
// where a pids cgroup exists. Nothing is looked up when no step runs a process.
Result<solver::ExecStepOptions> ExecOptions(const RunFlags& flags,
                                            const ir::BuildDefinition& definition,
                                            const solver::BuildSecrets& secrets,
                                            const Result<void>& private_namespace) {
  solver::ExecStepOptions exec;
  bool runs = false;
  for (ir::VertexId v = 0; v < definition.graph.size() && !runs; ++v) {
    runs = std::holds_alternative<ir::ExecOp>(definition.graph.op(v).body);
  }
  if (!runs) return exec;
  if (!private_namespace) {
    return Error(private_namespace.error())
        .Wrap("RUN needs a private mount namespace for its mounts (here \"/\" may not be a "
              "mount point, as in a chroot)");
  }
  BT_ASSIGN_OR_RETURN(exec.runtime, ResolveRuntime(flags));
  // Debian's crun 1.8.1 refuses the hybrid cgroup layout (v1 controllers plus a v2
  // hierarchy at /sys/fs/cgroup/unified); without that mount, in this process's namespace
  // only, it sees plain cgroup v1 (ARCHITECTURE.md, "The sandbox").
  if (exec.runtime.size() >= 5 && exec.runtime.compare(exec.runtime.size() - 5, 5, "/crun") == 0) {
    BT_TRY(executor::DetachHybridUnifiedCgroup());
  }
  const auto read_text = [](std::string_view path) {
    std::ifstream in{std::string(path)};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  exec.host_resolv_conf = read_text("/etc/resolv.conf");
  exec.sandbox_resolv_conf = read_text(
      executor::ResolvConfSourcePath(exec.host_resolv_conf, executor::StepNetwork::kSandbox));
  exec.secrets = &secrets;
  // A step that forks without end must meet a limit, not the machine's (SECURITY.md case
  // 12); the limit needs the pids controller (cgroup v1 hierarchy or v2 controllers).
  std::ifstream controllers("/sys/fs/cgroup/cgroup.controllers");
  std::string v2;
  std::getline(controllers, v2);
  if (::access("/sys/fs/cgroup/pids", W_OK) == 0 || (" " + v2 + " ").find(" pids ") != std::string::npos) {
    exec.pids_limit = kStepPidsLimit;
  }
  return exec;
}

}  // namespace

int RunBuild(const BuildCommandFlags& flags) {
  Result<ProgressMode> mode = ParseProgressMode(flags.quiet ? "quiet" : flags.progress);
  if (!mode) {
    Report(mode.error());
    return kExitUsage;
  }
  Result<std::vector<OutputSpec>> outputs = CheckOutputs(flags);
  if (!outputs) {
    Report(outputs.error());
    return kExitUsage;
  }
  // Every mount the build makes (overlays, RUN's binds, network namespaces) lives in a mount
  // namespace of its own, entered while the process still has one thread, so none outlives
  // it or shows on the host. Threads may start from here on.
  const Result<void> private_namespace = executor::EnterPrivateMountNamespace();
  if (!private_namespace && private_namespace.error().code == ErrorCode::kInternal) {
    return Report(private_namespace.error());  // a bug, not a machine without namespaces
  }
  StartupWarmup warmup;

  const std::string dockerfile = DockerfilePath(flags.build);
  Result<std::string> text = ReadSourceFile(dockerfile);
  if (!text) return Report(text.error());
  Result<frontend::LowerOptions> options = ToLowerOptions(flags.build);
  if (!options) return Report(options.error());
  if (Result<void> r = ApplyRunFlags(flags.run, *options); !r) {
    Report(r.error());
    return kExitUsage;
  }
  Result<solver::BuildSecrets> secrets = LoadSecrets(flags.run);
  if (!secrets) return Report(secrets.error());
  Result<frontend::Ast> ast = frontend::ParseDockerfile(*text, frontend::ParseOptions{dockerfile});
  if (!ast) return Report(ast.error(), *text);
  // libcurl itself is loaded only when a request is made (oci/curl_library.h).
  Result<std::unique_ptr<oci::HttpClient>> http = oci::HttpClient::Create();
  if (!http) return Report(http.error());
  Result<oci::RegistryOptions> access = RegistryAccess(flags.insecure_registries);
  if (!access) return Report(access.error());
  oci::RegistryClient registry(**http, std::move(*access));
  exporter::StoreImageResolver images(CacheRootPath(flags.root), &registry, flags.pull);
  Result<frontend::LoweredBuild> lowered = frontend::LowerDockerfile(*ast, *options, images);
  if (!lowered) return Report(lowered.error(), *text);
  for (const frontend::Warning& w : lowered->warnings) {
    std::fprintf(stderr, "warning: %s\n", w.message.c_str());
  }
  if (Result<void> r = CheckEntitlements(flags.run, lowered->definition); !r) {
    return Report(r.error(), *text);
  }
  char* context = ::realpath(flags.build.context.c_str(), nullptr);
  if (context == nullptr) return Report(ErrnoError("open build context", flags.build.context, errno));
  const std::string context_dir(context);
  ::free(context);

  Result<cache::SnapshotterKind> snapshotter =
      ChooseSnapshotter(flags, CacheRootPath(flags.root), private_namespace);
  if (!snapshotter) return Report(snapshotter.error());
  std::optional<cache::CacheRoot> root = OpenCacheRootOrReport(flags.root, *snapshotter);
  if (!root) return kExitFailed;
  Result<cache::Lease> lease = cache::Lease::Acquire(root->db());
  if (!lease) return Report(lease.error());
  Result<std::string> scratch = cache::MakeBuildScratchDir(*root, *lease);
  if (!scratch) return Report(scratch.error());
  // Removed however the build ends; a killed build's is reclaimed by prune.
  struct ScratchRemover {
    std::string dir;
    ~ScratchRemover() { (void)RemoveTree(dir); }
  } scratch_remover{*scratch};

  ProgressOptions progress_options;
  progress_options.mode = *mode;
  Result<std::unique_ptr<ProgressUi>> ui = MakeProgressSink(progress_options);
  if (!ui) {
    Report(ui.error());
    return kExitUsage;
  }
  InstallInterruptHandlers();

  solver::SolveOptions solve;
  solve.jobs = flags.jobs;
  solve.no_cache = flags.no_cache;
  solve.no_cache_stages.insert(flags.no_cache_filter.begin(), flags.no_cache_filter.end());
  solve.local_contexts["context"] = context_dir;
  for (const std::string& entry : flags.build.build_contexts) {
    const std::size_t eq = entry.find('=');
    char* dir = ::realpath(entry.substr(eq + 1).c_str(), nullptr);
    if (dir == nullptr) return Report(ErrnoError("open build context", entry.substr(eq + 1), errno));
    solve.local_contexts[NamedContextSource(entry.substr(0, eq))] = dir;
    ::free(dir);
  }
  solve.progress = ui->get();
  solve.interrupt = &g_interrupted;
  solve.scratch_dir = *scratch;
  solver::BuildStepRunnerOptions runner_options;
  runner_options.scratch_dir = *scratch;
  Result<solver::ExecStepOptions> exec =
      ExecOptions(flags.run, lowered->definition, *secrets, private_namespace);
  if (!exec) return Report(exec.error());
  // Destroyed (slirp4netns stopped, namespaces unmounted) before the scratch directory.
  solver::NetworkPool networks(*scratch);
  runner_options.exec = *exec;
  runner_options.exec.networks = &networks;
  solver::BuildStepRunner runner(*root, **http, runner_options);
  Result<solver::SolveResult> result =
      solver::Solve(lowered->definition, *root, *lease, runner, solve);

  Result<void> exported;
  std::optional<ExportedImage> image;
  const std::int64_t build_time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
  if (result) {
    std::optional<std::string> snapshot;
    if (const auto* s = std::get_if<solver::SnapshotTree>(&result->target)) snapshot = s->id;
    for (const OutputSpec& spec : *outputs) {
      if (IsImageOutput(spec)) {
        ImageExportContext ctx;
        ctx.root = &*root;
        ctx.lease = &*lease;
        ctx.snapshot = snapshot;
        ctx.config = lowered->definition.image_config;
        ctx.tags = *ParseTags(flags.tags);  // checked before the build
        ctx.source_date_epoch = *SourceDateEpoch(flags.build);  // checked before the build
        ctx.progress = ui->get();
        ctx.build_time_ns = build_time_ns;
        ctx.labels = *ParseLabels(flags.labels);  // checked before the build
        ctx.registry = &registry;
        Result<ExportedImage> done = ExportImageOutput(spec, ctx);
        exported = done ? Result<void>() : Result<void>(done.error());
        if (done) image = *done;
      } else {
        exported = Export(spec, *root, *scratch, snapshot, **ui);
      }
      if (!exported) break;
    }
  }
  (*ui)->Finish();
  if (!result) {
    Report(result.error(), *text);
    return result.error().code == ErrorCode::kCancelled ? kExitInterrupted : kExitFailed;
  }
  if (!exported) return Report(exported.error());
  if (image) {
    // The image id, as `docker build -q` prints it (the manifest digest names it here).
    std::printf("%s\n", image->manifest.digest.ToString().c_str());
    if (Result<void> r = WriteBuildRecords(flags, *image); !r) return Report(r.error());
  } else if (!flags.iidfile.empty() || !flags.metadata_file.empty()) {
    return Report(MakeError(ErrorCode::kInvalidArgument,
                            "--iidfile and --metadata-file describe an image: this build wrote none"));
  }
  if (outputs->empty()) {
    std::fputs("note: no output specified (--output type=local,dest=DIR or type=tar,dest=FILE): "
               "the result stays in the build cache\n",
               stderr);
  }
  return 0;
}

}  // namespace bt::cli
