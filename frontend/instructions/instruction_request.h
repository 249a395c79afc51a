// Internal to the instruction builder (instruction_builder*.cc): what every per-instruction
// builder receives, BuildKit's parseRequest (parse.go), and the builders themselves, split by
// family over several files. Not for use elsewhere; use instruction_builder.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "frontend/parser/ast.h"
#include "frontend/instructions/instruction_flags.h"
#include "frontend/instructions/instructions.h"

namespace bt::frontend::internal {

struct InstructionRequest {
  // BuildKit's nodeArgs: the argument chain; for ONBUILD the wrapped keyword, then its args.
  std::vector<std::string> args;
  const std::vector<Heredoc>& heredocs;
  bool json_form = false;       // the arguments came from a JSON array
  const std::string& original;  // the logical line (Node::original)
  InstructionOrigin origin;
  InstructionFlags flags;  // defined by each builder, then parsed
};

inline Error InvalidInstruction(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}
// parse.go's errAtLeastOneArgument, errExactlyOneArgument, errNoDestinationArgument.
inline Error AtLeastOneArgument(std::string_view command) {
  return InvalidInstruction(std::string(command) + " requires at least one argument");
}
inline Error ExactlyOneArgument(std::string_view command) {
  return InvalidInstruction(std::string(command) + " requires exactly one argument");
}
inline Error NoDestinationArgument(std::string_view command) {
  return InvalidInstruction(std::string(command) +
                            " requires at least two arguments, but only one was provided. "
                            "Destination could not be determined");
}

// support.go handleJSONArgs: exec form as is; shell form joined into one word.
std::vector<std::string> HandleJsonArgs(const std::vector<std::string>& args, bool json_form);

// instruction_builder_exec.cc
Result<Instruction> BuildRun(InstructionRequest& req);
Result<Instruction> BuildCmd(InstructionRequest& req);
Result<Instruction> BuildEntrypoint(InstructionRequest& req);
Result<Instruction> BuildHealthcheck(InstructionRequest& req);
Result<Instruction> BuildShell(InstructionRequest& req);

// instruction_builder_files.cc
Result<Instruction> BuildAdd(InstructionRequest& req);
Result<Instruction> BuildCopy(InstructionRequest& req);
Result<Instruction> BuildVolume(InstructionRequest& req);
Result<Instruction> BuildWorkdir(InstructionRequest& req);

// instruction_builder_config.cc
Result<Instruction> BuildEnv(InstructionRequest& req);
Result<Instruction> BuildLabel(InstructionRequest& req);
Result<Instruction> BuildArg(InstructionRequest& req);
Result<Instruction> BuildExpose(InstructionRequest& req);
Result<Instruction> BuildUser(InstructionRequest& req);
Result<Instruction> BuildStopSignal(InstructionRequest& req);
Result<Instruction> BuildMaintainer(InstructionRequest& req);
Result<Instruction> BuildOnbuild(InstructionRequest& req);
Result<Instruction> BuildFrom(InstructionRequest& req);

}  // namespace bt::frontend::internal
