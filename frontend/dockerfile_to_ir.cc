#include "frontend/dockerfile_to_ir.h"

#include <map>

#include "frontend/lowering/build_plan.h"
#include "frontend/dockerfile_parser.h"
#include "frontend/instructions/instruction_builder.h"
#include "frontend/lowering/stage_dispatcher.h"
#include "oci/reference.h"

namespace bt::frontend {
namespace {

// A base image, resolved once per build (both lowering passes use it).
struct BaseImage {
  oci::ImageConfig config;
  std::optional<ir::ImageSource> source;  // absent: the image has no layers (scratch)
  std::string local_context;  // a --build-context directory's LocalSource name, or ""
};

class Lowering {
 public:
  Lowering(const Ast& ast, const LowerOptions& options, oci::ImageResolver& resolver,
           BuildPlan& plan)
      : ast_(ast), options_(options), resolver_(resolver), plan_(plan) {}

  // One pass over the reachable stages; `includes` are the context's include patterns.
  Result<LoweredBuild> Run(std::vector<std::string> includes,
                           std::set<std::string>* context_paths) {
    StageDispatcher dispatcher(options_, plan_, DockerfileLexer(ast_));
    dispatcher.set_context_includes(std::move(includes));
    std::vector<StageState> states(plan_.stages.size());
    // Images named only by --from are resolved with the bases, before any stage runs
    // (resolveReachableStages marks unregistered states dispatched); stages in file order.
    for (const bool synthetic : {true, false}) {
      for (std::size_t i = 0; i < plan_.stages.size(); ++i) {
        if (!plan_.reachable[i] || plan_.stages[i].synthetic != synthetic) continue;
        BT_TRY(DispatchStage(i, dispatcher, states));
      }
    }
    *context_paths = dispatcher.context_paths();

    LoweredBuild out;
    StageState& target = states[plan_.target];
    if (options_.target_platform) target.image.platform = *options_.target_platform;
    out.definition.target = target.rootfs;
    out.definition.image_config = target.image;
    out.definition.graph = std::move(dispatcher.graph());
    out.definition.metadata = std::move(dispatcher.metadata());
    for (const auto& [name, value] : options_.build_args) {
      if (!plan_.used_build_args.count(name) && !IsPredefinedArg(name)) {
        out.warnings.push_back({"build argument \"" + name + "\" was not consumed by any stage", 0});
      }
    }
    return out;
  }

 private:
  // The proxy and platform ARGs can be given without being declared.
  static bool IsPredefinedArg(const std::string& name) {
    static const char* const kNames[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY",
                                         "https_proxy", "FTP_PROXY",  "ftp_proxy",
                                         "NO_PROXY",   "no_proxy",   "ALL_PROXY",
                                         "all_proxy"};
    for (const char* n : kNames) {
      if (name == n) return true;
    }
    return false;
  }

  oci::Platform PlatformOf(const PlannedStage& ps) const {
    if (ps.platform) return *ps.platform;
    return options_.target_platform.value_or(options_.build_platform);
  }

  Result<const BaseImage*> Resolve(const PlannedStage& ps) {
    const oci::Platform platform = PlatformOf(ps);
    const std::string key = ps.base_name + "|" + platform.ToString();
    if (const auto it = images_.find(key); it != images_.end()) return &it->second;
    BaseImage base;
    if (ps.base_name == kScratchImage) {
      base.config = EmptyImage(platform);
    } else if (const auto named = options_.named_contexts.find(ps.base_name);
               named != options_.named_contexts.end()) {
      base.config = EmptyImage(platform);
      base.local_context = named->second;
    } else {
      Result<oci::Reference> ref = oci::ParseReference(ps.base_name);
      if (!ref) {
        Error e = std::move(ref).error();
        e.message = "failed to parse stage name \"" + ps.base_name + "\": " + e.message;
        return e;
      }
      BT_ASSIGN_OR_RETURN(oci::ResolvedImage resolved, resolver_.Resolve(*ref, platform));
      base.config = std::move(resolved.config);
      base.config.created.clear();
      bool has_layers = !base.config.diff_ids.empty();
      if (!has_layers) {
        // schema1 images carry no diff IDs: trust the history then (resolveBaseImage).
        for (const oci::HistoryEntry& h : base.config.history) has_layers |= !h.empty_layer;
      }
      if (has_layers) {
        ir::ImageSource source;
        source.reference = resolved.reference.ToString();
        source.manifest_digest = resolved.manifest_digest;
        source.platform = platform;
        base.source = std::move(source);
      }
      if (base.config.platform.os.empty()) base.config.platform = platform;
    }
    return &images_.emplace(key, std::move(base)).first->second;
  }

  // The ONBUILD triggers that run right after a stage's FROM: its base stage's ONBUILD
  // instructions, or its base image's config OnBuild.
  Result<std::vector<std::string>> TriggersOf(const PlannedStage& ps) {
    std::vector<std::string> triggers;
    if (ps.base_stage) {
      for (const Instruction& instruction : plan_.stages[*ps.base_stage].stage.instructions) {
        if (const auto* ob = std::get_if<OnbuildCmd>(&instruction)) {
          triggers.push_back(ob->expression);
        }
      }
      return triggers;
    }
    Result<const BaseImage*> base = Resolve(ps);
    if (!base) {
      return AtInstruction(std::move(base).error(), options_.dockerfile_name, ps.stage.from.origin);
    }
    return (*base)->config.config.on_build;
  }

  // One trigger as an instruction, located at the FROM that runs it (initOnBuildTriggers).
  Result<Instruction> ParseTrigger(const std::string& trigger, const PlannedStage& ps) {
    const std::string& file = options_.dockerfile_name;
    Result<Ast> ast = ParseDockerfile(trigger, ParseOptions{file});
    if (!ast || ast->instructions.size() != 1) {
      Error e = ast ? MakeError(ErrorCode::kInvalidArgument,
                                "onbuild trigger should be a single expression")
                    : std::move(ast).error();
      e.where.reset();
      return AtInstruction(std::move(e), file, ps.stage.from.origin);
    }
    Result<Instruction> instruction = BuildInstruction(ast->instructions[0]);
    if (!instruction) {
      Error e = std::move(instruction).error();
      e.where.reset();
      return AtInstruction(std::move(e), file, ps.stage.from.origin);
    }
    return instruction;
  }

 public:
  // resolveStages: triggers may read other stages (COPY --from); add those dependencies
  // and recompute what the target needs until nothing changes.
  Result<void> AddTriggerDependencies() {
    for (bool changed = true; changed;) {
      changed = false;
      const std::size_t count = plan_.stages.size();
      for (std::size_t i = 0; i < count; ++i) {
        if (!plan_.reachable[i] || plan_.stages[i].synthetic) continue;
        BT_ASSIGN_OR_RETURN(std::vector<std::string> triggers, TriggersOf(plan_.stages[i]));
        for (const std::string& trigger : triggers) {
          BT_ASSIGN_OR_RETURN(Instruction instruction, ParseTrigger(trigger, plan_.stages[i]));
          for (const std::string& from : FromsOf(instruction)) {
            Result<std::size_t> dep = ResolveFrom(plan_.stages, from);
            if (!dep) {
              return AtInstruction(std::move(dep).error(), options_.dockerfile_name,
                                   plan_.stages[i].stage.from.origin);
            }
            changed |= AddDep(plan_.stages[i], *dep);
          }
        }
      }
      if (changed) {
        BT_TRY(CheckCycles(plan_.stages, options_.dockerfile_name));
        plan_.reachable = ReachableStages(plan_.stages, plan_.target);
      }
    }
    return {};
  }

 private:
  Result<void> DispatchStage(std::size_t index, StageDispatcher& dispatcher,
                             std::vector<StageState>& states) {
    const PlannedStage& ps = plan_.stages[index];
    StageState& s = states[index];
    const std::string& file = options_.dockerfile_name;
    dispatcher.set_current_stage(index);
    BT_ASSIGN_OR_RETURN(const std::vector<std::string> triggers, TriggersOf(ps));
    // BuildKit's cmdTotal: FROM an image (not scratch, not a stage), then every RUN, COPY,
    // ADD and WORKDIR, and every ONBUILD trigger.
    const bool from_image = !ps.base_stage && ps.base_name != "scratch";
    int steps = from_image ? 1 : 0;
    for (const Instruction& instruction : ps.stage.instructions) {
      steps += std::holds_alternative<RunCmd>(instruction) || std::holds_alternative<CopyCmd>(instruction) ||
               std::holds_alternative<AddCmd>(instruction) || std::holds_alternative<WorkdirCmd>(instruction);
    }
    steps += static_cast<int>(triggers.size());
    dispatcher.set_step_total(index, steps);
    const std::string from_step =
        from_image ? dispatcher.NumberedStep(index, "FROM " + ps.base_name) : std::string();
    if (ps.base_stage) {
      // init(): everything of the base stage but its ONBUILD triggers, which run here.
      s = states[*ps.base_stage];
      s.dispatched = false;
      s.cmd_set = false;
      s.image.config.on_build.clear();
    } else {
      Result<const BaseImage*> base = Resolve(ps);
      if (!base) return AtInstruction(std::move(base).error(), file, ps.stage.from.origin);
      s.image = (*base)->config;
      s.platform = PlatformOf(ps);
      s.image.config.on_build.clear();
      if ((*base)->source) {
        ir::Op op;
        op.body = ir::SourceOp{*(*base)->source};
        op.platform = s.platform;
        s.rootfs = dispatcher.AddOp(std::move(op), from_step,
                                    &ps.stage.from.origin);
      } else if (!(*base)->local_context.empty()) {
        s.rootfs = dispatcher.NamedContextTree((*base)->local_context, s.platform, from_step,
                                               ps.stage.from.origin);
      }
    }
    if (ps.synthetic) {
      s.dispatched = true;
      return {};
    }
    // dispatchStages: PATH is always set; the config's Env, WORKDIR and USER seed the state.
    bool has_path = false;
    for (const auto& [k, v] : s.image.config.env) has_path |= k == "PATH";
    if (!has_path) {
      s.image.config.env.emplace_back("PATH",
                                      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    }
    for (const auto& [k, v] : s.image.config.env) s.env.Set(k, v);
    if (!s.image.config.working_dir.empty()) s.workdir = s.image.config.working_dir;
    s.user = s.image.config.user;

    for (const std::string& trigger : triggers) {
      BT_ASSIGN_OR_RETURN(Instruction instruction, ParseTrigger(trigger, ps));
      Result<void> done = dispatcher.Dispatch(index, std::move(instruction), states);
      if (!done) return AtInstruction(std::move(done).error(), file, ps.stage.from.origin);
    }
    for (const Instruction& instruction : ps.stage.instructions) {
      Result<void> done = dispatcher.Dispatch(index, instruction, states);
      if (!done) return AtInstruction(std::move(done).error(), file, OriginOf(instruction));
    }
    s.dispatched = true;
    return {};
  }

  const Ast& ast_;
  const LowerOptions& options_;
  oci::ImageResolver& resolver_;
  BuildPlan& plan_;
  std::map<std::string, BaseImage> images_;  // by "reference|platform"
};

}  // namespace

Result<LoweredBuild> LowerDockerfile(const Ast& ast, const LowerOptions& options,
                                     oci::ImageResolver& resolver) {
  Result<DockerfileInstructions> instructions = BuildInstructions(ast);
  if (!instructions) {
    Error e = std::move(instructions).error();
    if (e.where && e.where->file.empty()) e.where->file = options.dockerfile_name;
    return e;
  }
  BT_ASSIGN_OR_RETURN(BuildPlan plan, PlanBuild(ast, std::move(*instructions), options));
  Lowering lowering(ast, options, resolver, plan);
  BT_TRY(lowering.AddTriggerDependencies());
  // The context source names the paths COPY and ADD read, which are only known once every
  // instruction is expanded: a first pass finds them, the second builds with them. Base
  // images are resolved once.
  std::set<std::string> paths;
  BT_ASSIGN_OR_RETURN(LoweredBuild first, lowering.Run({}, &paths));
  if (paths.empty()) return first;
  std::set<std::string> second_paths;
  return lowering.Run(std::vector<std::string>(paths.begin(), paths.end()), &second_paths);
}

}  // namespace bt::frontend
