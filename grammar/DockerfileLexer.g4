// The physical-line structure of a Dockerfile: blank and comment lines, instructions with
// their continuation lines, and heredoc bodies. Everything inside a line (directives,
// keywords, flags, JSON or shell form, words) is plain C++ in frontend/.
//
// Input contract (frontend/parse_tree_adapter.cc): one code point per byte of the file
// (Latin-1 style, so any byte sequence lexes, as BuildKit reads bytes), a leading UTF-8 BOM
// removed, and the file's escape character (`\` or backtick, from the escape directive)
// replaced by U+E000, so the grammar needs no semantic predicates.
//
// Heredocs are the one context-sensitive part: whether bodies follow an instruction depends
// on its parsed arguments. The lexer reports each instruction's lines to an Observer
// (implemented in C++ by the adapter) and asks it, at the end of the instruction, how many
// bodies follow; it then lexes them in HEREDOC mode, asking the observer which line ends
// each body.
lexer grammar DockerfileLexer;

tokens { HEREDOC_END }

@lexer::header {
#include <cstddef>
}

@lexer::members {
 public:
  enum class LineRole { kFirst, kMiddle };
  class Observer {
   public:
    virtual ~Observer() = default;
    // One line of an instruction, as [start, stop) code point offsets; `continues` is true
    // when the line ends with the escape character and the instruction goes on.
    virtual void OnInstructionLine(size_t start, size_t stop, LineRole role, bool continues) = 0;
    // The instruction is complete; returns the number of heredoc bodies that follow it.
    virtual size_t OnInstructionEnd() = 0;
    // Whether the line [start, stop) terminates the current heredoc body.
    virtual bool IsHeredocTerminator(size_t start, size_t stop) = 0;
  };
  void SetObserver(Observer* observer) { observer_ = observer; }

 private:
  Observer* observer_ = nullptr;
  size_t pending_bodies_ = 0;

  void Line(LineRole role, bool continues) {
    if (observer_) observer_->OnInstructionLine(tokenStartCharIndex, getCharIndex(), role, continues);
  }
  void EndInstruction() {
    pending_bodies_ = observer_ ? observer_->OnInstructionEnd() : 0;
    if (pending_bodies_ > 0) pushMode(HEREDOC);
  }
  void HeredocLine() {
    if (!observer_->IsHeredocTerminator(tokenStartCharIndex, getCharIndex())) return;
    setType(HEREDOC_END);
    if (--pending_bodies_ == 0) popMode();
  }
}

// Between instructions. Rule order breaks ties between equally long matches.
BLANK : LWS* NL | LWS+ ;
COMMENT : LWS* '#' ~'\n'* NL? ;
LINE_CONTINUED : LWS* (~'\n'* ~[\n\uE000])? ESC [ \t]* '\r'* NL?
    { Line(LineRole::kFirst, true); pushMode(CONTINUATION); } ;
LINE : ~'\n'+ NL? { Line(LineRole::kFirst, false); EndInstruction(); } ;

// Inside an instruction that continues: comment and blank lines neither end nor extend it.
mode CONTINUATION;
CONTINUATION_COMMENT : LWS* '#' ~'\n'* NL? ;
CONTINUATION_BLANK : LWS* NL | LWS+ ;
CONTINUATION_LINE : (~'\n'* ~[\n\uE000])? ESC [ \t]* '\r'* NL?
    { Line(LineRole::kMiddle, true); } ;
CONTINUATION_END : ~'\n'+ NL?
    { Line(LineRole::kMiddle, false); popMode(); EndInstruction(); } ;

// Raw body lines; the observer recognizes the terminator lines.
mode HEREDOC;
HEREDOC_LINE : (~'\n'+ NL? | NL) { HeredocLine(); } ;

fragment NL : '\n' ;
fragment ESC : '\uE000' ;
// Unicode white space (Go's unicode.IsSpace) other than the newline, as UTF-8 bytes.
fragment LWS
    : [\t\u000B\f\r ]
    | '\u00C2' [\u0085\u00A0]
    | '\u00E1\u009A\u0080'
    | '\u00E2\u0080' [\u0080-\u008A\u00A8\u00A9\u00AF]
    | '\u00E2\u0081\u009F'
    | '\u00E3\u0080\u0080'
    ;
