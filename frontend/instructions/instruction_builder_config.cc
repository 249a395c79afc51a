// FROM, ONBUILD, ARG, ENV, LABEL, EXPOSE, USER, STOPSIGNAL and MAINTAINER: stage starts and
// image configuration (parse.go's parseFrom, parseOnBuild, parseArg, parseEnv, parseLabel,
// parseExpose, parseUser, parseStopSignal and parseMaintainer).
#include <algorithm>
#include <string>
#include <vector>

#include "frontend/instructions/instruction_request.h"
#include "frontend/unicode.h"

namespace bt::frontend::internal {
namespace {

// parseKvps: the parser's key, value, separator triples.
Result<std::vector<KeyValue>> KeyValuePairs(const std::vector<std::string>& args,
                                            std::string_view command) {
  if (args.empty()) return AtLeastOneArgument(command);
  if (args.size() % 3 != 0) {
    return InvalidInstruction("Bad input to " + std::string(command) + ", too many arguments");
  }
  std::vector<KeyValue> pairs;
  for (std::size_t i = 0; i < args.size(); i += 3) {
    if (args[i].empty()) {
      return InvalidInstruction(std::string(command) + " names can not be blank");
    }
    pairs.push_back(KeyValue{args[i], args[i + 1], args[i + 2].empty()});
  }
  return pairs;
}

// strings.EqualFold(word, "as"): Unicode simple folding, so the long s (U+017F) matches too.
bool IsAs(std::string_view word) {
  if (word.empty() || (word[0] != 'a' && word[0] != 'A')) return false;
  const std::string_view rest = word.substr(1);
  return rest == "s" || rest == "S" || rest == "\xC5\xBF";
}

// validStageName: ^[a-z][a-z0-9-_.]*$
bool IsValidStageName(std::string_view name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

// Go regexp's \s: [\t\n\f\r ] (no \v).
bool IsRegexpSpace(char c) { return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '; }

// regexp `(?i)^\s*ONBUILD\s*` removed from the start of `line`.
std::string StripOnbuildKeyword(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && IsRegexpSpace(line[i])) ++i;
  constexpr std::string_view kKeyword = "onbuild";
  if (line.size() - i < kKeyword.size()) return std::string(line);
  for (std::size_t k = 0; k < kKeyword.size(); ++k) {
    const char c = line[i + k];
    // Under (?i) no non-ASCII rune folds to a letter of "onbuild" (only k and s have such).
    if (c != kKeyword[k] && c != kKeyword[k] - 'a' + 'A') return std::string(line);
  }
  i += kKeyword.size();
  while (i < line.size() && IsRegexpSpace(line[i])) ++i;
  return std::string(line.substr(i));
}

}  // namespace

Result<Instruction> BuildEnv(InstructionRequest& req) {
  BT_TRY(req.flags.Parse());
  BT_ASSIGN_OR_RETURN(std::vector<KeyValue> env, KeyValuePairs(req.args, "ENV"));
  return Instruction(EnvCmd{req.origin, std::move(env)});
}

Result<Instruction> BuildLabel(InstructionRequest& req) {
  BT_TRY(req.flags.Parse());
  BT_ASSIGN_OR_RETURN(std::vector<KeyValue> labels, KeyValuePairs(req.args, "LABEL"));
  return Instruction(LabelCmd{req.origin, std::move(labels)});
}

Result<Instruction> BuildArg(InstructionRequest& req) {
  // parseArg never parses its flags: `ARG --anything x` is accepted, the flag ignored.
  if (req.args.empty()) return AtLeastOneArgument("ARG");
  ArgCmd arg;
  arg.origin = req.origin;
  for (const std::string& word : req.args) {
    const std::size_t eq = word.find('=');
    if (eq == std::string::npos) {
      arg.args.push_back(ArgDefinition{word, std::nullopt});
      continue;
    }
    if (eq == 0) return InvalidInstruction("ARG names can not be blank");
    arg.args.push_back(ArgDefinition{word.substr(0, eq), word.substr(eq + 1)});
  }
  return Instruction(std::move(arg));
}

Result<Instruction> BuildExpose(InstructionRequest& req) {
  if (req.args.empty()) return AtLeastOneArgument("EXPOSE");
  BT_TRY(req.flags.Parse());
  std::vector<std::string> ports = req.args;
  std::sort(ports.begin(), ports.end());  // slices.Sort: bytewise, like std::string's <
  return Instruction(ExposeCmd{req.origin, std::move(ports)});
}

Result<Instruction> BuildUser(InstructionRequest& req) {
  if (req.args.size() != 1) return ExactlyOneArgument("USER");
  BT_TRY(req.flags.Parse());
  return Instruction(UserCmd{req.origin, req.args[0]});
}

Result<Instruction> BuildStopSignal(InstructionRequest& req) {
  // parseStopSignal never parses its flags either.
  if (req.args.size() != 1) return ExactlyOneArgument("STOPSIGNAL");
  return Instruction(StopSignalCmd{req.origin, req.args[0]});
}

Result<Instruction> BuildMaintainer(InstructionRequest& req) {
  if (req.args.size() != 1) return ExactlyOneArgument("MAINTAINER");
  BT_TRY(req.flags.Parse());
  return Instruction(MaintainerCmd{req.origin, req.args[0]});
}

Result<Instruction> BuildOnbuild(InstructionRequest& req) {
  if (req.args.empty()) return AtLeastOneArgument("ONBUILD");
  BT_TRY(req.flags.Parse());

  // The trigger's keyword, uppercased (strings.ToUpper; only ASCII names matter here).
  std::string trigger(unicode::TrimSpace(req.args[0]));
  for (char& c : trigger) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (trigger == "ONBUILD") {
    return InvalidInstruction("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  }
  if (trigger == "MAINTAINER" || trigger == "FROM") {
    return InvalidInstruction(trigger + " isn't allowed as an ONBUILD trigger");
  }

  std::string expression = StripOnbuildKeyword(req.original);
  for (const Heredoc& heredoc : req.heredocs) {
    expression += '\n';
    expression += heredoc.content;
    expression += heredoc.name;
  }
  return Instruction(OnbuildCmd{req.origin, std::move(expression)});
}

Result<Instruction> BuildFrom(InstructionRequest& req) {
  // parseBuildStageName runs before the flags are parsed.
  FromCmd from;
  from.origin = req.origin;
  if (req.args.size() == 3 && IsAs(req.args[1])) {
    from.stage_name = unicode::ToLower(req.args[2]);
    if (!IsValidStageName(from.stage_name)) {
      return InvalidInstruction("invalid name for build stage: " + unicode::Quote(req.args[2]) +
                                ", name can't start with a number or contain symbols");
    }
  } else if (req.args.size() != 1) {
    return InvalidInstruction("FROM requires either one or three arguments");
  }
  const InstructionFlags::Flag& platform = req.flags.AddString("platform");
  BT_TRY(req.flags.Parse());
  from.base_name = req.args[0];
  from.platform = platform.value();
  return Instruction(std::move(from));
}

}  // namespace bt::frontend::internal
