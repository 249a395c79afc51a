// Dockerfile word expansion with exactly the behaviour of BuildKit's shell lexer
// (frontend/dockerfile/shell/lex.go): quotes, the escape character, `$VAR`, `${VAR}` and the
// `${VAR...}` operators, and the split into words a shell would make. A ShellLexer holds only
// its options, so one instance may be used from several threads at once; the ShellEnv it
// reads must stay alive and unchanged during a call.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace bt::frontend {

// The variables visible to expansion. Names are compared exactly (BuildKit's Unix rule).
class ShellEnv {
 public:
  virtual ~ShellEnv() = default;
  // The value of `name`, or nullopt when it is unset (set-but-empty is an empty value).
  virtual std::optional<std::string_view> Lookup(std::string_view name) const = 0;
};

// A ShellEnv backed by a map; setting a name again replaces its value.
class MapShellEnv : public ShellEnv {
 public:
  MapShellEnv() = default;
  MapShellEnv(std::initializer_list<std::pair<const std::string, std::string>> vars)
      : vars_(vars) {}

  void Set(std::string name, std::string value);
  std::optional<std::string_view> Lookup(std::string_view name) const override;

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

// BuildKit's Lex fields.
struct ShellLexOptions {
  char32_t escape = U'\\';   // `\` or `` ` `` (the escape parser directive)
  bool raw_quotes = false;   // keep the quote characters in the result
  bool raw_escapes = false;  // keep escape characters in the result (escaping still applies)
  bool skip_process_quotes = false;  // quotes are ordinary characters
  // An unset variable stays as written (`$X`, `${X}`, `${X:-y}`) instead of expanding.
  bool skip_unset_env = false;
  // Published limit (SECURITY.md case 44): an expansion that produces a longer value fails
  // with "value exceeds N bytes" instead of exhausting memory (`ENV b=$a$a` doubled 40 times,
  // nested `${a//}` replacements).
  std::size_t max_value_bytes = std::size_t{1} << 20;
};

// The outcome of expanding one word (BuildKit's ProcessWordResult).
struct ExpandedWord {
  std::string word;                 // expanded as a single word, no splitting
  std::vector<std::string> words;   // the same input split into words like a shell
  std::set<std::string> matched;    // variable names looked up and found
  std::set<std::string> unmatched;  // variable names looked up and not found
};

class ShellLexer {
 public:
  explicit ShellLexer(ShellLexOptions options) : options_(options) {}

  // Expands `word`. All fields of the result are filled (ProcessWordWithMatches). Fails with
  // kInvalidArgument and BuildKit's message, e.g. `failed to process "${a:-b": syntax
  // error: missing '}'`, or `failed to process "${X:?}": X: is not allowed to be unset`.
  // Unlike BuildKit, `${...}` nested more than 100 levels deep is rejected (stack depth).
  Result<ExpandedWord> ProcessWord(std::string_view word, const ShellEnv& env) const;
  // The words of `word` (ProcessWords); errors as for ProcessWord.
  Result<std::vector<std::string>> ProcessWords(std::string_view word, const ShellEnv& env) const;

  const ShellLexOptions& options() const { return options_; }

 private:
  ShellLexOptions options_;
};

}  // namespace bt::frontend
