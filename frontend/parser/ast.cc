#include "frontend/parser/ast.h"

#include "frontend/unicode.h"

namespace bt::frontend {

Node::Node(const Node& other)
    : keyword(other.keyword),
      flags(other.flags),
      args(other.args),
      sub(other.sub ? std::make_unique<Node>(*other.sub) : nullptr),
      json_form(other.json_form),
      heredocs(other.heredocs),
      original(other.original),
      start_line(other.start_line),
      end_line(other.end_line) {}

Node& Node::operator=(const Node& other) {
  if (this != &other) *this = Node(other);
  return *this;
}

std::string Node::Dump() const {
  std::string s = unicode::ToLower(keyword);
  if (!flags.empty()) {
    // fmt's %q of a []string: ["a" "b"].
    s += " [";
    for (std::size_t i = 0; i < flags.size(); ++i) {
      if (i > 0) s += ' ';
      s += unicode::Quote(flags[i]);
    }
    s += ']';
  }
  if (sub) s += " (" + sub->Dump() + ")";
  for (const std::string& arg : args) {
    s += ' ';
    s += unicode::Quote(arg);
  }
  return std::string(unicode::TrimSpace(s));
}

bool Node::CanContainHeredoc() const {
  // parser.Node.canContainHeredoc: ONBUILD looks through to the wrapped instruction.
  const Node* n = this;
  if (unicode::ToLower(keyword) == "onbuild" && sub) n = sub.get();
  const std::string kw = unicode::ToLower(n->keyword);
  if (kw != "run" && kw != "copy" && kw != "add") return false;
  return !n->json_form;
}

std::string Ast::Dump() const {
  std::string out;
  for (std::size_t i = 0; i < instructions.size(); ++i) {
    if (i > 0) out += '\n';
    out += '(';
    out += instructions[i].Dump();
    out += ')';
  }
  return out;
}

}  // namespace bt::frontend
