// The only file that includes ANTLR: it feeds the file to the generated lexer and parser
// (grammar/), answers the lexer's heredoc questions, and walks the parse tree into our Ast.
// No ANTLR type or exception leaves this file.
#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "DockerfileLexer.h"
#include "DockerfileParser.h"
#include "antlr4-runtime.h"
#include "frontend/parser/directives.h"
#include "frontend/dockerfile_parser.h"
#include "frontend/parser/heredoc.h"
#include "frontend/parser/instruction_parser.h"
#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

using grammar::DockerfileLexer;
using grammar::DockerfileParser;

// bufio.Scanner's default limit, which BuildKit's parser does not raise: a line, with its
// newline, may hold at most 64 KiB.
constexpr std::size_t kMaxLineBytes = 64 * 1024;

// The code point that stands for the file's escape character (DockerfileLexer.g4).
constexpr char32_t kEscapeCodePoint = 0xE000;

// One code point per byte, the escape character replaced (see DockerfileLexer.g4).
class ByteStream : public antlr4::ANTLRInputStream {
 public:
  ByteStream(std::string_view bytes, char escape) {
    _data.reserve(bytes.size());
    for (char c : bytes) {
      _data.push_back(c == escape ? kEscapeCodePoint : static_cast<unsigned char>(c));
    }
  }
};

// bytes.TrimRight(line, "\r\n").
std::string_view TrimNewline(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  return line;
}

Error LocatedError(Error e, const std::string& file, int start, int end) {
  e.where = SourceRange{file, start, end < start ? start : end};
  return e;
}

// Builds each instruction's logical line while the lexer runs, parses it, and tells the
// lexer about the heredoc bodies that follow. Results are kept in instruction order.
class InstructionAssembler : public DockerfileLexer::Observer {
 public:
  InstructionAssembler(std::string_view text, char escape) : text_(text), escape_(escape) {}

  void OnInstructionLine(size_t start, size_t stop, DockerfileLexer::LineRole role,
                         bool continues) override {
    std::string_view line = TrimNewline(text_.substr(start, stop - start));
    if (role == DockerfileLexer::LineRole::kFirst) {
      logical_.clear();
      open_ = true;
      line = unicode::TrimLeftSpace(line);
    }
    if (continues) {
      // BuildKit's lineContinuationRegex: drop the final escape and the blanks after it.
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
      BT_CHECK(!line.empty() && line.back() == escape_);
      line.remove_suffix(1);
    }
    logical_.append(line);
  }

  size_t OnInstructionEnd() override {
    open_ = false;
    Result<Node> node = ParseInstructionLine(logical_, escape_);
    if (node && node->CanContainHeredoc() && logical_.find("<<") != std::string::npos) {
      Result<std::vector<Heredoc>> docs = HeredocsFromLine(logical_);
      if (docs) {
        node->heredocs = std::move(*docs);
      } else {
        node = std::move(docs).error();
      }
    }
    terminators_.clear();
    if (node) {
      for (const Heredoc& h : node->heredocs) terminators_.push_back({h.name, h.chomp});
    }
    nodes_.push_back(std::move(node));
    return terminators_.size();
  }

  bool IsHeredocTerminator(size_t start, size_t stop) override {
    BT_CHECK(!terminators_.empty());
    const Terminator& current = terminators_.front();
    std::string_view line = TrimNewline(text_.substr(start, stop - start));
    if (current.strip_leading_tabs) {
      while (!line.empty() && line.front() == '\t') line.remove_prefix(1);
    }
    if (line != current.name) return false;
    terminators_.pop_front();
    return true;
  }

  // Ends an instruction that the end of the file cut short inside its continuation lines.
  void Finish() {
    if (open_) OnInstructionEnd();
  }

  std::vector<Result<Node>>& nodes() { return nodes_; }

 private:
  std::string_view text_;
  char escape_;
  std::string logical_;  // the current instruction's line, continuations joined
  bool open_ = false;    // an instruction has started and not ended
  std::vector<Result<Node>> nodes_;
  struct Terminator {
    std::string name;
    bool strip_leading_tabs;  // `<<-`
  };
  std::deque<Terminator> terminators_;  // of the last instruction's bodies still open
};

// Turns grammar errors (which the grammar makes impossible) into an Error, never a throw.
class ErrorCollector : public antlr4::BaseErrorListener {
 public:
  void syntaxError(antlr4::Recognizer*, antlr4::Token*, size_t line, size_t,
                   const std::string& msg, std::exception_ptr) override {
    if (!error_) error_ = {static_cast<int>(line), msg};
  }
  std::optional<std::pair<int, std::string>> error_;
};

// The number of physical lines in text (a last line without a newline counts).
int CountLines(std::string_view text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  if (!text.empty() && text.back() != '\n') ++lines;
  return lines;
}

int TokenLine(antlr4::tree::TerminalNode* t) { return static_cast<int>(t->getSymbol()->getLine()); }

class TreeWalker {
 public:
  TreeWalker(std::string_view text, const ParseOptions& options, InstructionAssembler& assembler)
      : text_(text), options_(options), assembler_(assembler) {}

  Result<std::vector<Node>> Walk(DockerfileParser::DockerfileContext* tree, Ast& ast) {
    std::vector<Node> out;
    std::vector<Result<Node>>& nodes = assembler_.nodes();
    const std::vector<DockerfileParser::InstructionContext*> instructions = tree->instruction();
    BT_CHECK(instructions.size() == nodes.size());
    for (std::size_t i = 0; i < instructions.size(); ++i) {
      BT_ASSIGN_OR_RETURN(Node node, Convert(instructions[i], std::move(nodes[i]), ast));
      out.push_back(std::move(node));
    }
    return out;
  }

 private:
  Result<Node> Convert(DockerfileParser::InstructionContext* ctx, Result<Node> parsed, Ast& ast) {
    // Lines of the instruction itself, without heredoc bodies.
    std::vector<antlr4::tree::TerminalNode*> lines;
    if (ctx->LINE()) lines.push_back(ctx->LINE());
    if (ctx->LINE_CONTINUED()) lines.push_back(ctx->LINE_CONTINUED());
    bool empty_continuation_line = false;
    if (auto* cont = ctx->continuation()) {
      for (antlr4::tree::ParseTree* child : cont->children) {
        auto* t = dynamic_cast<antlr4::tree::TerminalNode*>(child);
        if (!t) continue;
        lines.push_back(t);
        if (t->getSymbol()->getType() == DockerfileLexer::CONTINUATION_BLANK) {
          empty_continuation_line = true;
        }
      }
    }
    const int start = TokenLine(lines.front());
    const int end = TokenLine(lines.back());
    if (!parsed) return LocatedError(std::move(parsed).error(), options_.file_name, start, end);
    Node node = std::move(*parsed);
    node.start_line = start;
    node.end_line = end;
    if (node.sub) {
      node.sub->start_line = start;
      node.sub->end_line = end;
    }
    if (empty_continuation_line) {
      ast.warnings.push_back({"Empty continuation line found in: " + node.original, end});
    }
    BT_TRY(AttachHeredocBodies(ctx->heredocs(), node));
    return node;
  }

  Result<void> AttachHeredocBodies(DockerfileParser::HeredocsContext* ctx, Node& node) {
    std::size_t body = 0;
    if (ctx) {
      for (antlr4::tree::ParseTree* child : ctx->children) {
        auto* t = dynamic_cast<antlr4::tree::TerminalNode*>(child);
        if (!t) continue;
        node.end_line = TokenLine(t);
        BT_CHECK(body < node.heredocs.size());
        if (t->getSymbol()->getType() == DockerfileLexer::HEREDOC_END) {
          ++body;
          continue;
        }
        const antlr4::Token* tok = t->getSymbol();
        node.heredocs[body].content.append(
            text_.substr(tok->getStartIndex(), tok->getStopIndex() + 1 - tok->getStartIndex()));
      }
    }
    if (body < node.heredocs.size()) {
      // The file ended before a terminator; BuildKit reports the lines up to the end.
      return LocatedError(MakeError(ErrorCode::kInvalidArgument, "unterminated heredoc"),
                          options_.file_name, node.start_line, CountLines(text_));
    }
    return {};
  }

  std::string_view text_;
  const ParseOptions& options_;
  InstructionAssembler& assembler_;
};

// Lexes and parses `text`: SLL prediction first, full LL only if SLL fails (STYLE.md 2.7).
Result<Ast> ParseStructure(std::string_view text, char escape, const ParseOptions& options) {
  ByteStream input(text, escape);
  DockerfileLexer lexer(&input);
  InstructionAssembler assembler(text, escape);
  lexer.SetObserver(&assembler);
  lexer.removeErrorListeners();
  ErrorCollector lexer_errors;
  lexer.addErrorListener(&lexer_errors);
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  assembler.Finish();

  DockerfileParser parser(&tokens);
  parser.removeErrorListeners();
  ErrorCollector parser_errors;
  DockerfileParser::DockerfileContext* tree = nullptr;
  try {
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
        antlr4::atn::PredictionMode::SLL);
    parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
    tree = parser.dockerfile();
  } catch (const antlr4::ParseCancellationException&) {
    tokens.seek(0);
    parser.reset();
    parser.addErrorListener(&parser_errors);
    parser.setErrorHandler(std::make_shared<antlr4::DefaultErrorStrategy>());
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
        antlr4::atn::PredictionMode::LL);
    tree = parser.dockerfile();
  }
  for (const auto* errors : {&lexer_errors, &parser_errors}) {
    if (errors->error_) {
      return LocatedError(MakeError(ErrorCode::kInternal,
                                    "dockerfile grammar rejected the input: " + errors->error_->second),
                          options.file_name, errors->error_->first, errors->error_->first);
    }
  }

  Ast ast;
  TreeWalker walker(text, options, assembler);
  BT_ASSIGN_OR_RETURN(ast.instructions, walker.Walk(tree, ast));
  return ast;
}

// The start of the first line longer than kMaxLineBytes, or npos.
std::size_t FindOverlongLine(std::string_view text, int* line_no) {
  std::size_t start = 0;
  *line_no = 1;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    if (end - start > kMaxLineBytes) return start;
    start = end;
    ++*line_no;
  }
  return std::string_view::npos;
}

}  // namespace

Result<Ast> ParseDockerfile(std::string_view text, const ParseOptions& options) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

  Result<Directives> directives = ParseDirectives(text);
  if (!directives) {
    Error e = std::move(directives).error();
    const int line = e.where ? e.where->start_line : 1;
    return LocatedError(std::move(e), options.file_name, line, line);
  }

  // BuildKit stops reading at an overlong line: what comes before it is parsed (and may
  // fail first), then the line itself is the error.
  int overlong_line = 0;
  const std::size_t overlong = FindOverlongLine(text, &overlong_line);
  const std::string_view readable = text.substr(0, overlong);

  BT_ASSIGN_OR_RETURN(Ast ast, ParseStructure(readable, directives->escape, options));
  if (ast.instructions.empty()) {
    const int last = std::max(1, CountLines(readable));
    return LocatedError(MakeError(ErrorCode::kInvalidArgument, "file with no instructions"),
                        options.file_name, last, last);
  }
  if (overlong != std::string_view::npos) {
    return LocatedError(MakeError(ErrorCode::kInvalidArgument,
                                  "dockerfile line greater than max allowed size of " +
                                      std::to_string(kMaxLineBytes - 1)),
                        options.file_name, overlong_line, overlong_line);
  }
  ast.directives = *directives;
  return ast;
}

}  // namespace bt::frontend
