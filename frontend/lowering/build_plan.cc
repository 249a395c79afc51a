#include "frontend/lowering/build_plan.h"

#include <charconv>
#include <map>

#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// platforms.Format / FormatAll: "os/arch[/variant]".
std::string FormatPlatform(const oci::Platform& p) { return p.ToString(); }

// defaultArgs (platform.go): the automatic platform ARGs; a build arg of the same name wins.
EnvList DefaultArgs(const oci::Platform& build, const oci::Platform& target,
                    std::string_view target_stage, const std::map<std::string, std::string>& args) {
  const std::pair<const char*, std::string> defaults[] = {
      {"BUILDPLATFORM", FormatPlatform(build)},
      {"BUILDOS", build.os},
      {"BUILDOSVERSION", ""},
      {"BUILDARCH", build.architecture},
      {"BUILDVARIANT", build.variant},
      {"TARGETPLATFORM", FormatPlatform(target)},
      {"TARGETOS", target.os},
      {"TARGETOSVERSION", ""},
      {"TARGETARCH", target.architecture},
      {"TARGETVARIANT", target.variant},
      {"TARGETSTAGE", target_stage.empty() ? "default" : std::string(target_stage)},
  };
  EnvList env;
  for (const auto& [name, value] : defaults) {
    const auto it = args.find(name);
    env.Set(name, it != args.end() ? it->second : value);
  }
  return env;
}

// buildMetaArgs: the ARGs before the first FROM; a build arg replaces a default, a default
// is expanded with the arguments defined so far.
Result<void> AddMetaArgs(const std::vector<ArgCmd>& meta_args, const ShellLexer& lexer,
                         const std::map<std::string, std::string>& build_args,
                         const std::string& file, BuildPlan& plan) {
  for (const ArgCmd& cmd : meta_args) {
    for (const ArgDefinition& def : cmd.args) {
      plan.used_build_args.insert(def.key);
      std::optional<std::string> value;
      if (const auto it = build_args.find(def.key); it != build_args.end()) {
        value = it->second;
      } else if (def.value) {
        Result<ExpandedWord> expanded = lexer.ProcessWord(*def.value, plan.global_args);
        if (!expanded) return AtInstruction(std::move(expanded).error(), file, cmd.origin);
        value = std::move(expanded->word);
      }
      if (value) plan.global_args.Set(def.key, *value);
    }
  }
  return {};
}

// strconv.Atoi: an optional sign and decimal digits.
std::optional<long long> Atoi(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  long long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

Result<std::size_t> ResolveFrom(std::vector<PlannedStage>& stages, const std::string& from) {
  BT_ASSIGN_OR_RETURN(std::optional<std::size_t> found, FindStage(stages, from));
  if (found) return *found;
  for (const PlannedStage& s : stages) {
    if (s.synthetic && s.base_name == from) return s.index;
  }
  PlannedStage image;
  image.index = stages.size();
  image.base_name = from;
  image.display_name = from;
  image.synthetic = true;
  stages.push_back(std::move(image));
  return stages.back().index;
}

bool AddDep(PlannedStage& stage, std::size_t dep) {
  for (std::size_t d : stage.deps) {
    if (d == dep) return false;
  }
  stage.deps.push_back(dep);
  return true;
}

std::vector<std::string> FromsOf(const Instruction& instruction) {
  std::vector<std::string> froms;
  if (const auto* copy = std::get_if<CopyCmd>(&instruction)) {
    if (!copy->from.empty()) froms.push_back(copy->from);
  } else if (const auto* run = std::get_if<RunCmd>(&instruction)) {
    for (const RunMount& m : run->mounts) {
      if (!m.from.empty()) froms.push_back(m.from);
    }
  }
  return froms;
}

// validateCircularDependency: a depth-first walk over base and read stages.
Result<void> CheckCycles(const std::vector<PlannedStage>& stages, const std::string& file) {
  enum class Mark { kNone, kActive, kDone };
  std::vector<Mark> mark(stages.size(), Mark::kNone);
  // Iterative DFS: each frame is (stage, next edge to follow).
  for (std::size_t root = 0; root < stages.size(); ++root) {
    if (mark[root] != Mark::kNone) continue;
    std::vector<std::pair<std::size_t, std::size_t>> stack{{root, 0}};
    mark[root] = Mark::kActive;
    while (!stack.empty()) {
      auto& [s, next] = stack.back();
      std::vector<std::size_t> edges = stages[s].deps;
      if (stages[s].base_stage) edges.insert(edges.begin(), *stages[s].base_stage);
      if (next >= edges.size()) {
        mark[s] = Mark::kDone;
        stack.pop_back();
        continue;
      }
      const std::size_t to = edges[next++];
      if (mark[to] == Mark::kActive) {
        Error e = Invalid("circular dependency detected on stage: " + stages[to].display_name);
        return AtInstruction(std::move(e), file, stages[to].stage.from.origin);
      }
      if (mark[to] == Mark::kNone) {
        mark[to] = Mark::kActive;
        stack.emplace_back(to, 0);
      }
    }
  }
  return {};
}

Error AtInstruction(Error e, const std::string& file, const InstructionOrigin& origin) {
  if (!e.where) e.where = SourceRange{file, origin.start_line, origin.end_line};
  if (e.where->file.empty()) e.where->file = file;
  return e;
}

ShellLexer DockerfileLexer(const Ast& ast) {
  ShellLexOptions options;
  options.escape = static_cast<unsigned char>(ast.directives.escape);
  return ShellLexer(options);
}

Result<std::optional<std::size_t>> FindStage(const std::vector<PlannedStage>& stages,
                                             std::string_view from) {
  if (const std::optional<long long> index = Atoi(from)) {
    std::size_t registered = 0;
    for (const PlannedStage& s : stages) registered += s.synthetic ? 0 : 1;
    if (*index < 0 || static_cast<std::size_t>(*index) >= registered) {
      return Invalid("invalid stage index " + std::to_string(*index));
    }
    return std::optional<std::size_t>(static_cast<std::size_t>(*index));
  }
  const std::string name = unicode::ToLower(from);
  for (const PlannedStage& s : stages) {
    if (!s.synthetic && !s.stage.name().empty() && s.stage.name() == name) {
      return std::optional<std::size_t>(s.index);
    }
  }
  return std::optional<std::size_t>();
}

std::vector<bool> ReachableStages(const std::vector<PlannedStage>& stages, std::size_t target) {
  std::vector<bool> reachable(stages.size(), false);
  std::vector<std::size_t> todo{target};
  while (!todo.empty()) {
    const std::size_t s = todo.back();
    todo.pop_back();
    if (reachable[s]) continue;
    reachable[s] = true;
    if (stages[s].base_stage) todo.push_back(*stages[s].base_stage);
    for (std::size_t d : stages[s].deps) todo.push_back(d);
  }
  return reachable;
}

Result<BuildPlan> PlanBuild(const Ast& ast, DockerfileInstructions instructions,
                            const LowerOptions& options) {
  const std::string& file = options.dockerfile_name;
  if (instructions.stages.empty()) {
    return Invalid("dockerfile contains no stages to build");
  }
  std::map<std::string, std::string> build_args;
  for (const auto& [name, value] : options.build_args) build_args[name] = value;

  BuildPlan plan;
  const ShellLexer lexer = DockerfileLexer(ast);
  const oci::Platform target_platform = options.target_platform.value_or(options.build_platform);
  std::string target_name = options.target;
  if (target_name.empty()) target_name = instructions.stages.back().name();
  plan.global_args = DefaultArgs(options.build_platform, target_platform, target_name, build_args);
  BT_TRY(AddMetaArgs(instructions.meta_args, lexer, build_args, file, plan));

  // buildDispatchStates: expand each FROM with the global scope.
  for (std::size_t i = 0; i < instructions.stages.size(); ++i) {
    PlannedStage ps;
    ps.index = i;
    ps.stage = std::move(instructions.stages[i]);
    const InstructionOrigin& origin = ps.stage.from.origin;
    Result<ExpandedWord> base = lexer.ProcessWord(ps.stage.from.base_name, plan.global_args);
    if (!base) return AtInstruction(std::move(base).error(), file, origin);
    if (base->word.empty()) {
      return AtInstruction(Invalid("base name (" + ps.stage.from.base_name + ") should not be blank"),
                       file, origin);
    }
    ps.base_name = std::move(base->word);
    if (!ps.stage.from.platform.empty()) {
      Result<ExpandedWord> p = lexer.ProcessWord(ps.stage.from.platform, plan.global_args);
      if (!p) {
        Error e = std::move(p).error();
        e.message = "failed to process arguments for platform " + ps.stage.from.platform + ": " +
                    e.message;
        return AtInstruction(std::move(e), file, origin);
      }
      if (p->word.empty()) {
        return AtInstruction(
            Invalid("empty platform value from expression " + ps.stage.from.platform), file,
            origin);
      }
      Result<oci::Platform> parsed = oci::ParsePlatform(p->word);
      if (!parsed) {
        Error e = std::move(parsed).error();
        e.message = "failed to parse platform " + ps.stage.from.platform + ": " + e.message;
        return AtInstruction(std::move(e), file, origin);
      }
      ps.platform = *parsed;
    }
    ps.display_name = ps.stage.name().empty() ? "stage-" + std::to_string(i) : ps.stage.name();
    // addState: FROM <name of an earlier stage> builds on that stage (exact match).
    for (std::size_t j = 0; j < i; ++j) {
      if (!plan.stages[j].stage.name().empty() && plan.stages[j].stage.name() == ps.base_name) {
        ps.base_stage = j;
      }
    }
    plan.stages.push_back(std::move(ps));
  }

  if (!options.target.empty()) {
    const std::string want = unicode::ToLower(options.target);
    bool found = false;
    for (const PlannedStage& s : plan.stages) {
      if (!s.stage.name().empty() && s.stage.name() == want) {
        plan.target = s.index;
        found = true;
      }
    }
    if (!found) return Invalid("target stage \"" + options.target + "\" could not be found");
  } else {
    plan.target = plan.stages.size() - 1;
  }

  // buildStageDependencyGraph: COPY --from and RUN --mount from= of every stage.
  const std::size_t registered = plan.stages.size();
  for (std::size_t i = 0; i < registered; ++i) {
    for (const Instruction& instruction : plan.stages[i].stage.instructions) {
      for (const std::string& from : FromsOf(instruction)) {
        Result<std::size_t> dep = ResolveFrom(plan.stages, from);
        if (!dep) return AtInstruction(std::move(dep).error(), file, OriginOf(instruction));
        AddDep(plan.stages[i], *dep);
      }
    }
  }
  BT_TRY(CheckCycles(plan.stages, file));
  plan.reachable = ReachableStages(plan.stages, plan.target);

  // Stage ARGs also "use" a build arg (for the unused build-arg warning).
  for (const PlannedStage& s : plan.stages) {
    for (const Instruction& instruction : s.stage.instructions) {
      if (const auto* arg = std::get_if<ArgCmd>(&instruction)) {
        for (const ArgDefinition& def : arg->args) plan.used_build_args.insert(def.key);
      }
    }
  }
  return plan;
}

}  // namespace bt::frontend
