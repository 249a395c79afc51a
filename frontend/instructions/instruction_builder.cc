#include "frontend/instructions/instruction_builder.h"

#include <algorithm>
#include <string_view>

#include "frontend/instructions/instruction_request.h"
#include "frontend/instructions/suggest.h"
#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

using internal::InstructionRequest;
using Builder = Result<Instruction> (*)(InstructionRequest&);

struct KnownInstruction {
  std::string_view name;  // lowercase, as BuildKit's command package spells it
  Builder build;
};

// BuildKit's command.Commands. Sorted by name: of two names equally close to a misspelling,
// the first is suggested (BuildKit walks a Go map, so its pick among ties is random).
constexpr KnownInstruction kInstructions[] = {
    {"add", internal::BuildAdd},
    {"arg", internal::BuildArg},
    {"cmd", internal::BuildCmd},
    {"copy", internal::BuildCopy},
    {"entrypoint", internal::BuildEntrypoint},
    {"env", internal::BuildEnv},
    {"expose", internal::BuildExpose},
    {"from", internal::BuildFrom},
    {"healthcheck", internal::BuildHealthcheck},
    {"label", internal::BuildLabel},
    {"maintainer", internal::BuildMaintainer},
    {"onbuild", internal::BuildOnbuild},
    {"run", internal::BuildRun},
    {"shell", internal::BuildShell},
    {"stopsignal", internal::BuildStopSignal},
    {"user", internal::BuildUser},
    {"volume", internal::BuildVolume},
    {"workdir", internal::BuildWorkdir},
};

// nodeArgs: a wrapped instruction (ONBUILD) contributes its keyword, then its arguments.
std::vector<std::string> NodeArgs(const Node& node) {
  std::vector<std::string> args = node.args;
  if (node.sub) {
    args.push_back(node.sub->keyword);
    std::vector<std::string> sub_args = NodeArgs(*node.sub);
    args.insert(args.end(), sub_args.begin(), sub_args.end());
  }
  return args;
}

// ParseInstruction's fallback: UnknownInstructionError with a case-insensitive hint, which
// takes the case of what was written (`FORM` -> FROM, `form` -> from).
Error UnknownInstruction(const Node& node) {
  std::vector<std::string> names;
  for (const KnownInstruction& known : kInstructions) names.emplace_back(known.name);
  return internal::InvalidInstruction(WithSuggestion(
      "unknown instruction: " + node.keyword, node.keyword, names, SuggestCase::kInsensitive));
}

Error Located(Error error, const Node& node) {
  if (!error.where) error.where = SourceRange{"", node.start_line, node.end_line};
  return error;
}

}  // namespace

namespace internal {

std::vector<std::string> HandleJsonArgs(const std::vector<std::string>& args, bool json_form) {
  if (args.empty() || json_form) return args;
  std::string joined;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i > 0) joined += ' ';
    joined += args[i];
  }
  return {joined};
}

}  // namespace internal

Result<Instruction> BuildInstruction(const Node& node) {
  const std::string keyword = unicode::ToLower(node.keyword);
  const auto known = std::find_if(std::begin(kInstructions), std::end(kInstructions),
                                  [&](const KnownInstruction& k) { return k.name == keyword; });
  if (known == std::end(kInstructions)) return Located(UnknownInstruction(node), node);

  InstructionRequest req{
      .args = NodeArgs(node),
      .heredocs = node.heredocs,
      .json_form = node.json_form,
      .original = node.original,
      .origin = InstructionOrigin{.keyword = node.keyword,
                                  .code = std::string(unicode::TrimSpace(node.original)),
                                  .start_line = node.start_line,
                                  .end_line = node.end_line},
      .flags = InstructionFlags(node.flags),
  };
  Result<Instruction> instruction = known->build(req);
  if (!instruction) return Located(std::move(instruction).error(), node);
  return instruction;
}

Result<DockerfileInstructions> BuildInstructions(const Ast& ast) {
  DockerfileInstructions out;
  for (const Node& node : ast.instructions) {
    Result<Instruction> built = BuildInstruction(node);
    if (!built) {
      // Parse's parseError: "dockerfile parse error on line N: <error>".
      return std::move(built).error().Wrap("dockerfile parse error on line " +
                                           std::to_string(node.start_line));
    }
    Instruction& instruction = *built;
    if (out.stages.empty() && std::holds_alternative<ArgCmd>(instruction)) {
      out.meta_args.push_back(std::get<ArgCmd>(std::move(instruction)));
      continue;
    }
    if (std::holds_alternative<FromCmd>(instruction)) {
      out.stages.push_back(Stage{std::get<FromCmd>(std::move(instruction)), {}});
      continue;
    }
    if (out.stages.empty()) {
      return Located(internal::InvalidInstruction("no build stage in current context"), node);
    }
    out.stages.back().instructions.push_back(std::move(instruction));
  }
  return out;
}

}  // namespace bt::frontend
