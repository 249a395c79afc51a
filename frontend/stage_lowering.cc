// The StageDispatcher members that add IR vertices: WORKDIR (mkdir), RUN (ExecOp with its
// mounts), COPY and ADD (FileOp copy actions; MergeOp for --link). BuildKit's dispatchWorkdir,
// dispatchRun, dispatchRunMounts and dispatchCopy (dockerfile2llb/convert*.go).
#include <cstring>
#include <string>

#include "frontend/container_path.h"
#include "frontend/go_format.h"
#include "frontend/stage_dispatcher.h"
#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// USER/--chown "user[:group]" as the IR's Chown: numbers by id, names resolved later.
ir::UserSpec ToUserSpec(std::string_view s) {
  std::uint32_t id = 0;
  bool numeric = !s.empty();
  for (char ch : s) {
    if (ch < '0' || ch > '9') numeric = false;
  }
  if (numeric) {
    for (char ch : s) id = id * 10 + static_cast<std::uint32_t>(ch - '0');
    return id;
  }
  return std::string(s);
}

std::optional<ir::Chown> ParseChown(std::string_view spec) {
  if (spec.empty()) return std::nullopt;
  ir::Chown c;
  const std::size_t colon = spec.find(':');
  c.user = ToUserSpec(spec.substr(0, colon));
  if (colon != std::string_view::npos) c.group = ToUserSpec(spec.substr(colon + 1));
  return c;
}

// --chmod: octal numbers become a mode; anything else is kept as a symbolic expression.
Result<std::pair<std::optional<std::uint32_t>, std::string>> ParseChmod(std::string_view chmod) {
  if (chmod.empty()) return std::pair<std::optional<std::uint32_t>, std::string>();
  std::uint32_t mode = 0;
  bool octal = true;
  for (char ch : chmod) {
    if (ch < '0' || ch > '7') octal = false;
    mode = mode * 8 + static_cast<std::uint32_t>(ch - '0');
  }
  if (octal && chmod.size() <= 4) {
    return std::pair<std::optional<std::uint32_t>, std::string>(mode, "");
  }
  for (char ch : chmod) {
    if (!std::strchr("ugoa+-=rwxXst,01234567", ch)) {
      return Invalid("invalid chmod parameter: '" + std::string(chmod) + "'");
    }
  }
  return std::pair<std::optional<std::uint32_t>, std::string>(std::nullopt, std::string(chmod));
}

bool HasWildcard(std::string_view s) {
  return s.find_first_of("*?[") != std::string_view::npos;
}

bool IsUrl(std::string_view s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
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

std::string StageDispatcher::StepName(std::size_t index, const InstructionOrigin& origin) const {
  return "[" + plan_.stages[index].display_name + "] " + origin.code;
}

oci::Platform StageDispatcher::TargetPlatform() const {
  return options_.target_platform.value_or(options_.build_platform);
}

ir::Edge StageDispatcher::AddOp(ir::Op op, std::string description,
                                const InstructionOrigin* origin) {
  const ir::VertexId id = graph_.Add(std::move(op));
  ir::OpMetadata& meta = metadata_[graph_.digest(id)];
  if (meta.description.empty()) meta.description = std::move(description);
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
  std::vector<std::string> args = c.command.cmd_line;
  if (!c.command.files.empty()) {
    // A heredoc script: run its body through the shell (BuildKit's simple-heredoc case),
    // or, with several files, the reconstituted text.
    if (c.command.files.size() == 1 && args.size() == 1) {
      std::string data = c.command.files[0].data;
      if (c.command.files[0].chomp) {
        std::string out;
        std::size_t i = 0;
        while (i < data.size()) {
          std::size_t j = i;
          while (j < data.size() && data[j] == '\t') ++j;
          const std::size_t nl = data.find('\n', j);
          const std::size_t end = nl == std::string::npos ? data.size() : nl + 1;
          out.append(data, j, end - j);
          i = end;
        }
        data = std::move(out);
      }
      args = {data};
    } else {
      std::string text = args.empty() ? "" : args[0];
      for (const ShellInlineFile& f : c.command.files) text += "\n" + f.data + f.name;
      args = {text};
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
                                                   : ir::NetMode::kSandbox;
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

  for (const RunMount& m : c.mounts) {
    ir::Mount mount;
    mount.dest = NormalizePath(s.workdir, m.target, TrailingSlash::kDrop);
    ir::InputIndex source = ir::kScratch;
    if (!m.from.empty()) {
      BT_ASSIGN_OR_RETURN(std::optional<std::size_t> from, FindStage(plan_.stages, m.from));
      std::optional<std::size_t> stage = from;
      if (!stage) {
        for (const PlannedStage& ps : plan_.stages) {
          if (ps.synthetic && ps.base_name == m.from) stage = ps.index;
        }
      }
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
        mount.dest = spec.target.empty() ? "/run/buildkit/ssh_agent.0" : spec.target;
        mount.kind = sm;
        break;
      }
    }
    exec.mounts.push_back(std::move(mount));
  }
  op.body = std::move(exec);
  op.platform = s.platform;
  s.rootfs = AddOp(std::move(op), StepName(index, c.origin), &c.origin);
  AddHistory(s.image, "RUN " + RunCommandString(args, s) + " # buildkit", HistoryLayer::kLayer);
  return {};
}

Result<void> StageDispatcher::DispatchCopy(std::size_t index, StageState& s, const CopyCmd& c,
                                           std::vector<StageState>& stages) {
  std::optional<ir::Edge> source;
  bool from_context = c.from.empty();
  if (!from_context) {
    BT_ASSIGN_OR_RETURN(std::optional<std::size_t> from, FindStage(plan_.stages, c.from));
    std::optional<std::size_t> stage = from;
    if (!stage) {
      for (const PlannedStage& ps : plan_.stages) {
        if (ps.synthetic && ps.base_name == c.from) stage = ps.index;
      }
    }
    if (!stage || !stages[*stage].dispatched) {
      return Invalid("cannot copy from stage \"" + c.from + "\", it needs to be defined before " +
                     "current stage \"" + plan_.stages[index].display_name + "\"");
    }
    source = stages[*stage].rootfs;
  } else {
    for (const std::string& src : c.files.source_paths) {
      context_paths_.insert(JoinPath("/", src));
    }
    if (!c.files.source_paths.empty()) source = ContextSource();
  }
  BT_ASSIGN_OR_RETURN(auto chmod, ParseChmod(c.chmod));
  const std::string dest = NormalizePath(s.workdir, c.files.dest_path, TrailingSlash::kKeep);

  ir::Op op;
  ir::FileOp file;
  if (s.rootfs && !c.link) {
    op.inputs.push_back(*s.rootfs);
    file.base = 0;
  }
  ir::InputIndex src_index = ir::kScratch;
  if (source) {
    src_index = static_cast<ir::InputIndex>(op.inputs.size());
    op.inputs.push_back(*source);
  }
  const bool dest_is_dir = dest.back() == '/' ||
                           c.files.source_paths.size() + c.files.source_contents.size() > 1;
  for (const std::string& src : c.files.source_paths) {
    ir::CopyAction copy;
    copy.source = src_index;
    copy.src = CleanPath("/" + src);
    copy.dest = dest;
    copy.owner = ParseChown(c.chown);
    copy.mode = chmod.first;
    copy.mode_expression = chmod.second;
    copy.follow_symlinks = true;
    copy.copy_dir_contents = true;
    copy.create_dest_path = true;
    copy.allow_wildcard = true;
    copy.allow_empty_wildcard = true;
    copy.parents = c.parents;
    copy.exclude_patterns = c.exclude_patterns;
    file.actions.push_back(std::move(copy));
  }
  for (const SourceContent& content : c.files.source_contents) {
    ir::MkfileAction mkfile;
    mkfile.path = dest_is_dir ? JoinPath(dest, content.path) : dest;
    mkfile.data = content.data;
    mkfile.mode = chmod.first.value_or(0644);
    mkfile.owner = ParseChown(c.chown);
    file.actions.push_back(std::move(mkfile));
  }
  op.body = std::move(file);
  op.platform = s.platform;
  ir::Edge result = AddOp(std::move(op), StepName(index, c.origin), &c.origin);
  if (c.link) {
    // COPY --link: the copy is made on scratch and stacked on the stage (MergeOp).
    ir::Op merge;
    if (s.rootfs) merge.inputs.push_back(*s.rootfs);
    merge.inputs.push_back(result);
    merge.body = ir::MergeOp{};
    merge.platform = s.platform;
    result = AddOp(std::move(merge), StepName(index, c.origin), &c.origin);
  }
  s.rootfs = result;

  std::string history = "COPY";
  if (c.parents) history += " --parents";
  if (!c.chown.empty()) history += " --chown=" + c.chown;
  if (!c.chmod.empty()) history += " --chmod=" + c.chmod;
  if (!c.from.empty()) history += " --from=" + c.from;
  for (const std::string& src : c.files.source_paths) history += " " + src;
  for (const SourceContent& content : c.files.source_contents) history += " <<" + content.path;
  history += " " + c.files.dest_path;
  AddHistory(s.image, std::move(history) + " # buildkit", HistoryLayer::kLayer);
  return {};
}

Result<void> StageDispatcher::DispatchAdd(std::size_t index, StageState& s, const AddCmd& c) {
  BT_ASSIGN_OR_RETURN(auto chmod, ParseChmod(c.chmod));
  const std::string dest = NormalizePath(s.workdir, c.files.dest_path, TrailingSlash::kKeep);
  ir::Op op;
  ir::FileOp file;
  if (s.rootfs && !c.link) {
    op.inputs.push_back(*s.rootfs);
    file.base = 0;
  }
  for (const std::string& src : c.files.source_paths) {
    ir::CopyAction copy;
    if (IsUrl(src)) {
      ir::HttpSource http;
      http.url = src;
      if (!c.checksum.empty()) {
        BT_ASSIGN_OR_RETURN(http.checksum, oci::Digest::Parse(c.checksum));
      }
      std::string name = src.substr(src.rfind('/') + 1);
      http.filename = name.empty() ? "__unnamed__" : name;
      ir::Op source;
      source.body = ir::SourceOp{http};
      source.platform = s.platform;
      copy.source = static_cast<ir::InputIndex>(op.inputs.size());
      op.inputs.push_back(AddOp(std::move(source), "[internal] load " + src, &c.origin));
      copy.src = "/" + http.filename;
      copy.unpack_archive = c.unpack.value_or(false);
    } else {
      context_paths_.insert(JoinPath("/", src));
      copy.source = static_cast<ir::InputIndex>(op.inputs.size());
      op.inputs.push_back(ContextSource());
      copy.src = CleanPath("/" + src);
      copy.unpack_archive = c.unpack.value_or(true);
      copy.allow_wildcard = true;
      copy.allow_empty_wildcard = HasWildcard(src);
    }
    copy.dest = dest;
    copy.owner = ParseChown(c.chown);
    copy.mode = chmod.first;
    copy.mode_expression = chmod.second;
    copy.follow_symlinks = true;
    copy.copy_dir_contents = true;
    copy.create_dest_path = true;
    copy.exclude_patterns = c.exclude_patterns;
    file.actions.push_back(std::move(copy));
  }
  op.body = std::move(file);
  op.platform = s.platform;
  ir::Edge result = AddOp(std::move(op), StepName(index, c.origin), &c.origin);
  if (c.link) {
    ir::Op merge;
    if (s.rootfs) merge.inputs.push_back(*s.rootfs);
    merge.inputs.push_back(result);
    merge.body = ir::MergeOp{};
    merge.platform = s.platform;
    result = AddOp(std::move(merge), StepName(index, c.origin), &c.origin);
  }
  s.rootfs = result;
  std::string history = "ADD";
  if (!c.chown.empty()) history += " --chown=" + c.chown;
  if (!c.chmod.empty()) history += " --chmod=" + c.chmod;
  for (const std::string& src : c.files.source_paths) history += " " + src;
  history += " " + c.files.dest_path;
  AddHistory(s.image, std::move(history) + " # buildkit", HistoryLayer::kLayer);
  return {};
}

}  // namespace bt::frontend
