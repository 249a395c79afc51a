// The Dockerfile syntax tree: what BuildKit's parser (frontend/dockerfile/parser, parser.Node)
// produces, as plain structs. Nothing here knows ANTLR; the parse tree adapter builds it.
// Values are owned; an Ast is immutable once returned by ParseDockerfile.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bt::frontend {

// A heredoc body attached to RUN, COPY or ADD (`<<EOF`, `<<-EOF`, `3<<"EOF"`).
struct Heredoc {
  std::string name;     // the terminator word, quotes and escapes removed
  std::uint64_t fd = 0;  // the digits written before `<<`; 0 when none
  bool expand = true;   // false when any part of the word was quoted
  bool chomp = false;   // `<<-`: the consumer strips leading tabs (content keeps them)
  std::string content;  // every line up to the terminator, line endings kept
};

// One instruction: a logical line (continuations joined) and its heredoc bodies.
struct Node {
  std::string keyword;             // as written (`cOpY`); Dump() lowercases it
  std::vector<std::string> flags;  // `--from=x` words before the arguments, quotes removed
  // The argument chain: per instruction, see conformance/parser/README.md. For ENV and LABEL
  // it is key, value, separator triples ("=" or "" for the old `ENV k v` form).
  std::vector<std::string> args;
  std::unique_ptr<Node> sub;       // the instruction that ONBUILD wraps; then args is empty
  bool json_form = false;          // the arguments came from a JSON array
  std::vector<Heredoc> heredocs;
  std::string original;            // the logical line the node was parsed from
  int start_line = 0;              // 1-based, inclusive; covers continuation and heredoc lines
  int end_line = 0;

  Node() = default;
  Node(Node&&) = default;
  Node& operator=(Node&&) = default;
  Node(const Node& other);
  Node& operator=(const Node& other);

  // BuildKit's Node.Dump for this instruction: `copy ["--from=a"] "x" "y"`.
  std::string Dump() const;
  // True for RUN, COPY and ADD in shell form, also when wrapped in ONBUILD.
  bool CanContainHeredoc() const;
};

struct Directives {
  char escape = '\\';  // '\\' or '`'
  std::string syntax;  // empty when absent
  std::string check;   // empty when absent
};

struct Warning {
  std::string message;
  int line = 0;
};

struct Ast {
  Directives directives;
  std::vector<Node> instructions;
  std::vector<Warning> warnings;

  // BuildKit's root Node.Dump: one `(instruction)` per line, no trailing newline.
  std::string Dump() const;
};

}  // namespace bt::frontend
