// From one logical instruction line (continuations already joined) to a Node: the keyword,
// the `--flags`, and the argument chain of BuildKit's per-instruction line parsers
// (frontend/dockerfile/parser/line_parsers.go and split_command.go). Heredoc bodies and line
// numbers are attached by the caller. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "frontend/parser/ast.h"

namespace bt::frontend {

// Parses `line` with `escape` ('\\' or '`') as the escape character. Errors are
// kInvalidArgument without a location (the caller knows the lines).
Result<Node> ParseInstructionLine(std::string_view line, char escape);

// The flag words at the start of `text` (BuildKit's extractBuilderFlags) and what follows
// them. Flags are read byte by byte and each byte is stored as the code point of the same
// value, so non-ASCII flags come out Latin-1 mangled exactly as BuildKit stores them.
struct FlagSplit {
  std::vector<std::string> flags;
  std::string_view rest;
};
FlagSplit ExtractFlags(std::string_view text, char escape);

// BuildKit's parseWords: split on Unicode whitespace outside quotes, quotes and escapes kept.
std::vector<std::string> SplitWordsKeepingQuotes(std::string_view text, char escape);

}  // namespace bt::frontend
