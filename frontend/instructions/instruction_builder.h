// From AST nodes to typed instructions and build stages, as BuildKit's
// instructions.ParseInstruction and instructions.Parse do it (frontend/dockerfile/
// instructions/parse.go): flags are checked, arguments counted and split, heredocs attached;
// nothing is expanded (see instructions.h). Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "frontend/parser/ast.h"
#include "frontend/instructions/instructions.h"

namespace bt::frontend {

// A FROM and the instructions up to the next FROM (BuildKit's Stage).
struct Stage {
  FromCmd from;
  std::vector<Instruction> instructions;  // never a FromCmd

  const std::string& name() const { return from.stage_name; }  // empty when unnamed
};

struct DockerfileInstructions {
  std::vector<ArgCmd> meta_args;  // the ARGs before the first FROM, in order
  std::vector<Stage> stages;      // in file order; never empty for a valid Dockerfile
};

// One node to its instruction. Errors are kInvalidArgument with BuildKit's message and
// `where` = {"", node.start_line, node.end_line} (the caller fills in the file name), e.g.
// `unknown instruction: FROBNICATE`, `unknown instruction: FORM (did you mean FROM?)`,
// `unknown flag: --nosuchflag`, `COPY requires at least two arguments, but only one was
// provided. Destination could not be determined`.
Result<Instruction> BuildInstruction(const Node& node);

// The whole file. An error from BuildInstruction gets BuildKit's outer context
// "dockerfile parse error on line N" (Error::context); an instruction other than ARG before
// the first FROM is `no build stage in current context`. Warnings are not produced (no lint).
Result<DockerfileInstructions> BuildInstructions(const Ast& ast);

}  // namespace bt::frontend
