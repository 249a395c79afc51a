// ParseDockerfile: Dockerfile text to Ast, agreeing with BuildKit's parser (parser.Parse)
// on every input. Implemented in parse_tree_adapter.cc, the only file that sees ANTLR.
// Thread-safe: each call has its own lexer and parser.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "frontend/parser/ast.h"

namespace bt::frontend {

struct ParseOptions {
  std::string file_name = "Dockerfile";  // copied into Error::where for messages
};

// Errors are kInvalidArgument with `where` set to the offending lines: a bad directive, a
// JSON array with a non-string element, ENV/LABEL without a value, an unterminated heredoc,
// a line over BuildKit's 64 KiB limit, or a file with no instructions.
Result<Ast> ParseDockerfile(std::string_view text, const ParseOptions& options);

}  // namespace bt::frontend
