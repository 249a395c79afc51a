// The StageDispatcher members for WORKDIR (a mkdir FileOp) and RUN (an ExecOp with its
// mounts): BuildKit's dispatchWorkdir, dispatchRun and dispatchRunMounts
// (dockerfile2llb/convert.go, convert_runmount.go). COPY and ADD are in copy_lowering.cc.
#include <string>

#include "frontend/lowering/chown_spec.h"
#include "frontend/lowering/container_path.h"
#include "frontend/lowering/go_format.h"
#include "frontend/parser/heredoc.h"
#include "frontend/lowering/stage_dispatcher.h"
#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// runCommandString: "|N K=V ..." before the command when the stage declared ARGs.
std::string RunCommandString(const std::vector<std::string>& args, const StageState& s) {
  std::vector<std::pair<std::string, std::string>> build_env;
  for (const ArgDefinition& arg : s.build_args) {
    const auto v = s.env.Lookup(arg.key);
    const std::string value = v ? std::string(*v) : arg.value.value_or("");
    bool replaced = false;
    for (auto& [k, val] : build_env) {
      if (k == arg.key) {
        val = value;
        replaced = true;
      }
    }
    if (!replaced) build_env.emplace_back(arg.key, value);
  }
  std::string out;
  if (!build_env.empty()) {
    out = "|" + std::to_string(build_env.size());
    for (const auto& [k, v] : build_env) out += " " + k + "=" + v;
  }
  for (const std::string& a : args) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

}  // namespace

namespace {

// parser.ChompHeredocContent: leading tabs removed from every line (`<<-`).
std::string StripLeadingTabs(std::string_view data) {
  std::string out;
  std::size_t i = 0;
  while (i < data.size()) {
    std::size_t j = i;
    while (j < data.size() && data[j] == '\t') ++j;
    const std::size_t nl = data.find('\n', j);
    const std::size_t end = nl == std::string_view::npos ? data.size() : nl + 1;
    out.append(data.substr(j, end - j));
    i = end;
  }
  return out;
}

}  // namespace

std::string StageDispatcher::NumberedStep(std::size_t index, std::string_view text) {
  StepCount& count = steps_[index];
  if (count.total == 0) return std::string(text);
  ++count.taken;
  std::string out = "[";
  // A Dockerfile of one stage shows no stage name.
  if (plan_.stages.size() > 1) out += plan_.stages[index].display_name + " ";
  const std::string total = std::to_string(count.total);
  std::string taken = std::to_string(count.taken);
  // %*d with width 1+floor(log10(total)): the number right-aligned to the total's digits.
  if (taken.size() < total.size()) taken.insert(0, total.size() - taken.size(), ' ');
  return out + taken + "/" + total + "] " + std::string(text);
}

std::string StageDispatcher::StepName(std::size_t index, const InstructionOrigin& origin) {
  if (!step_name_) step_name_ = NumberedStep(index, origin.code);
  return *step_name_;
}

oci::Platform StageDispatcher::TargetPlatform() const {
  return options_.target_platform.value_or(options_.build_platform);
}

Result<std::optional<std::size_t>> StageDispatcher::StageFor(std::string_view from) const {
  BT_ASSIGN_OR_RETURN(std::optional<std::size_t> stage, FindStage(plan_.stages, from));
  if (stage) return stage;
  for (const PlannedStage& ps : plan_.stages) {
    if (ps.synthetic && ps.base_name == from) return std::optional<std::size_t>(ps.index);
  }
  return std::optional<std::size_t>();
}

ir::Edge StageDispatcher::AddOp(ir::Op op, std::string description,
                                const InstructionOrigin* origin) {
  const ir::VertexId id = graph_.Add(std::move(op));
  ir::OpMetadata& meta = metadata_[graph_.digest(id)];
  if (meta.description.empty()) meta.description = std::move(description);
  if (current_stage_) meta.stages.insert(plan_.stages[*current_stage_].display_name);
  if (origin && !meta.location) {
    meta.location = SourceRange{options_.dockerfile_name, origin->start_line, origin->end_line};
  }
  return ir::Edge{id, 0};
}

ir::Edge StageDispatcher::ContextSource() {
  if (!context_) {
    ir::LocalSource local;
    local.name = options_.context_name;
    local.include_patterns = context_includes_;
    local.exclude_patterns = options_.dockerignore_patterns;
    ir::Op op;
    op.body = ir::SourceOp{local};
    op.platform = TargetPlatform();
    context_ = AddOp(std::move(op), "[internal] load build context", nullptr);
  }
  return *context_;
}

ir::Edge StageDispatcher::NamedContextTree(const std::string& local_name,
                                           const oci::Platform& platform,
                                           const std::string& description,
                                           const InstructionOrigin& origin) {
  ir::LocalSource local;
  local.name = local_name;
  ir::Op source;
  source.body = ir::SourceOp{local};
  source.platform = platform;
  const ir::Edge dir = AddOp(std::move(source), "[internal] load build context " + local_name, nullptr);
  ir::CopyAction copy;
  copy.source = 0;
  copy.src = "/";
  copy.dest = "/";
  copy.copy_dir_contents = true;
  copy.create_dest_path = true;
  ir::FileOp file;
  file.actions.push_back(std::move(copy));
  ir::Op op;
  op.inputs.push_back(dir);
  op.body = std::move(file);
  op.platform = platform;
  return AddOp(std::move(op), description.empty() ? "[context " + local_name + "]" : description, &origin);
}

Result<void> StageDispatcher::DispatchWorkdir(std::size_t index, StageState& s,
                                              const WorkdirCmd& c) {
  s.workdir_set = true;
  const std::string wd = NormalizeWorkdir(s.image.config.working_dir, c.path);
  s.image.config.working_dir = wd;
  s.workdir = wd;
  if (wd == "/") {
    AddHistory(s.image, "WORKDIR " + wd, HistoryLayer::kEmpty);
    return {};
  }
  ir::MkdirAction mkdir;
  mkdir.path = wd;
  mkdir.mode = 0755;
  mkdir.make_parents = true;
  mkdir.owner = ParseChown(s.image.config.user);
  ir::FileOp file;
  ir::Op op;
  if (s.rootfs) {
    op.inputs.push_back(*s.rootfs);
    file.base = 0;
  }
  file.actions.push_back(std::move(mkdir));
  op.body = std::move(file);
  op.platform = s.platform;
  s.rootfs = AddOp(std::move(op), StepName(index, c.origin), &c.origin);
  AddHistory(s.image, "WORKDIR " + wd, HistoryLayer::kLayer);
  return {};
}

Result<void> StageDispatcher::DispatchRun(std::size_t index, StageState& s, const RunCmd& c,
                                          std::vector<StageState>& stages) {
  if (!c.devices.empty()) {
    // BuildKit hands CDI devices to a step under the `device` entitlement; buildtool has no
    // CDI registry yet, and running the step without its device would be a silent fallback.
    return Invalid("RUN --device is not supported by buildtool yet (CDI devices, entitlement "
                   "\"device\"): " + c.devices.front().name);
  }
  std::vector<std::string> args = c.command.cmd_line;
  std::optional<ir::Edge> script;  // a heredoc with a shebang, run as a file
  if (!c.command.files.empty()) {
    if (args.size() != 1 || !c.command.prepend_shell) {
      return Invalid("parsing produced an invalid run command: " + GoPlainList(args));
    }
    BT_ASSIGN_OR_RETURN(std::optional<Heredoc> whole, ParseHeredocWord(args[0]));
    if (whole) {
      // The command is just `<<EOF`: a script with a shebang becomes an executable file
      // mounted at /dev/pipes/, anything else is given to the shell as the command.
      const ShellInlineFile& f = c.command.files[0];
      std::string data = f.chomp ? StripLeadingTabs(f.data) : f.data;
      if (data.rfind("#!", 0) == 0) {
        ir::MkfileAction mkfile;
        mkfile.path = "/" + f.name;
        mkfile.mode = 0755;
        mkfile.data = std::move(data);
        ir::FileOp tree;
        tree.actions.push_back(std::move(mkfile));
        ir::Op script_op;
        script_op.body = std::move(tree);
        script_op.platform = s.platform;
        script = AddOp(std::move(script_op), "preparing inline document", &c.origin);
        args = {JoinPath("/dev/pipes/", f.name)};
      } else {
        args = {std::move(data)};
      }
    } else {
      // A command around several heredocs: the shell gets them back as written.
      std::string text = args[0];
      for (const ShellInlineFile& f : c.command.files) text += "\n" + f.data + f.name;
      args = {std::move(text)};
    }
  }
  if (c.command.prepend_shell) args = WithShell(s.image, args);

  ir::ExecOp exec;
  exec.args = args;
  exec.env = s.env.entries();
  exec.cwd = s.workdir;
  exec.user = s.user;
  exec.network = c.network == NetworkMode::kHost   ? ir::NetMode::kHost
                 : c.network == NetworkMode::kNone ? ir::NetMode::kNone
                                                   : options_.default_network;
  exec.extra_hosts = options_.extra_hosts;
  exec.security = c.security == SecurityMode::kInsecure ? ir::SecurityMode::kInsecure
                                                        : ir::SecurityMode::kSandbox;
  for (const auto& [name, value] : options_.build_args) {
    const std::string lower = unicode::ToLower(name);
    if (lower == "http_proxy" || lower == "https_proxy" || lower == "ftp_proxy" ||
        lower == "no_proxy" || lower == "all_proxy") {
      exec.proxy_env.emplace_back(name, value);
    }
  }
  ir::Op op;
  ir::Mount root;
  root.dest = "/";
  ir::BindMount root_bind;
  root_bind.readonly = false;
  if (s.rootfs) {
    op.inputs.push_back(*s.rootfs);
    root_bind.source = 0;
  }
  root.kind = root_bind;
  root.output = 0;
  exec.mounts.push_back(std::move(root));
  if (script) {
    ir::Mount pipes;
    pipes.dest = "/dev/pipes/";
    ir::BindMount bind;
    bind.source = static_cast<ir::InputIndex>(op.inputs.size());
    bind.selector = "/";
    bind.readonly = true;
    op.inputs.push_back(*script);
    pipes.kind = bind;
    exec.mounts.push_back(std::move(pipes));
  }

  int ssh_mounts = 0;
  std::optional<std::string> ssh_target;  // the first ssh mount's: SSH_AUTH_SOCK
  for (const RunMount& m : c.mounts) {
    ir::Mount mount;
    mount.dest = NormalizePath(s.workdir, m.target, TrailingSlash::kDrop);
    ir::InputIndex source = ir::kScratch;
    if (!m.from.empty()) {
      BT_ASSIGN_OR_RETURN(std::optional<std::size_t> stage, StageFor(m.from));
      if (!stage || !stages[*stage].dispatched) {
        return Invalid("cannot mount from stage \"" + m.from + "\" to \"" + m.target +
                       "\", stage needs to be defined before current command");
      }
      if (stages[*stage].rootfs) {
        source = static_cast<ir::InputIndex>(op.inputs.size());
        op.inputs.push_back(*stages[*stage].rootfs);
      }
    } else if (m.type == MountType::kBind) {
      source = static_cast<ir::InputIndex>(op.inputs.size());
      op.inputs.push_back(ContextSource());
    }
    switch (m.type) {
      case MountType::kBind: {
        ir::BindMount b;
        b.source = source;
        b.selector = m.source.empty() ? "" : CleanPath("/" + m.source);
        b.readonly = m.read_only;
        mount.kind = b;
        break;
      }
      case MountType::kCache: {
        ir::CacheMount cm;
        cm.id = CacheMountId(m);
        cm.sharing = !m.sharing || *m.sharing == CacheSharing::kShared ? ir::CacheSharing::kShared
                     : *m.sharing == CacheSharing::kPrivate           ? ir::CacheSharing::kPrivate
                                                                       : ir::CacheSharing::kLocked;
        cm.source = source;
        cm.selector = m.source;
        cm.readonly = m.read_only;
        cm.mode = m.mode.value_or(0755);
        cm.uid = m.uid.value_or(0);
        cm.gid = m.gid.value_or(0);
        mount.kind = cm;
        break;
      }
      case MountType::kTmpfs: {
        ir::TmpfsMount t;
        t.size_bytes = static_cast<std::uint64_t>(m.size_limit);
        mount.kind = t;
        break;
      }
      case MountType::kSecret: {
        BT_ASSIGN_OR_RETURN(SecretMountSpec spec, ResolveSecretMount(m));
        if (spec.env) exec.secret_env.push_back({spec.id, *spec.env, spec.required});
        if (!spec.target) continue;
        ir::SecretMount sm;
        sm.id = spec.id;
        sm.required = spec.required;
        sm.uid = spec.uid.value_or(0);
        sm.gid = spec.gid.value_or(0);
        sm.mode = spec.mode.value_or(0400);
        mount.dest = NormalizePath(s.workdir, *spec.target, TrailingSlash::kDrop);
        mount.kind = sm;
        break;
      }
      case MountType::kSsh: {
        BT_ASSIGN_OR_RETURN(SshMountSpec spec, ResolveSshMount(m));
        ir::SshMount sm;
        sm.id = spec.id;
        sm.required = spec.required;
        sm.uid = spec.uid.value_or(0);
        sm.gid = spec.gid.value_or(0);
        sm.mode = spec.mode.value_or(0600);
        // client/llb/exec.go: the N-th ssh mount without a target is ssh_agent.N.
        mount.dest = spec.target.empty() ? "/run/buildkit/ssh_agent." + std::to_string(ssh_mounts)
                                         : spec.target;
        ++ssh_mounts;
        if (!ssh_target) ssh_target = mount.dest;
        mount.kind = sm;
        break;
      }
    }
    exec.mounts.push_back(std::move(mount));
  }
  if (ssh_target) {
    // client/llb/exec.go: a step with an ssh mount finds its agent through SSH_AUTH_SOCK,
    // unless the stage set that variable itself.
    bool set = false;
    for (const auto& [k, v] : exec.env) set = set || k == "SSH_AUTH_SOCK";
    if (!set) exec.env.emplace_back("SSH_AUTH_SOCK", *ssh_target);
  }
  op.body = std::move(exec);
  op.platform = s.platform;
  s.rootfs = AddOp(std::move(op), StepName(index, c.origin), &c.origin);
  AddHistory(s.image, "RUN " + RunCommandString(args, s) + " # buildkit", HistoryLayer::kLayer);
  return {};
}

}  // namespace bt::frontend
