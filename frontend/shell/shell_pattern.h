// Shell patterns of `${VAR#p}`, `${VAR##p}`, `${VAR%p}`, `${VAR%%p}`, `${VAR/p/r}` and
// `${VAR//p/r}`, with exactly the results BuildKit gets by turning the pattern into a Go regexp
// (frontend/dockerfile/shell/lex.go, convertShellPatternToRegex) and running Go's leftmost-first
// regexp engine. Matching is a Pike-style NFA simulation: no backtracking, no recursion,
// O(len(text) * len(pattern)) per search. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bt::frontend {

// A compiled pattern: `*` is any run of runes, `?` one rune, `\*` `\?` `\\` the literal
// character, `\}` and `\/` the character without the backslash; every other rune, brackets
// included, is literal. As in Go's regexp, `*` and `?` never match `\n` (a `.` without the
// `s` flag), and text is matched rune by rune with an invalid UTF-8 byte as one U+FFFD rune.
class ShellPattern {
 public:
  // How a `*` prefers to match when several matches begin at the same place (Go's `.*?`
  // versus `.*`): the priority of leftmost-first matching, not POSIX longest-match.
  enum class Stars { kLazy, kGreedy };
  enum class Anchor { kAtStart, kAnywhere };
  struct Span {
    std::size_t begin;  // byte offsets into the searched text
    std::size_t end;
  };

  // Fails with kInvalidArgument ("invalid escape '\x'") for a backslash before any other
  // character or at the end. Like Go's text/scanner, a leading U+FEFF is skipped.
  static Result<ShellPattern> Compile(std::string_view pattern, Stars stars);

  // The match Go's FindStringIndex would report for the text starting at byte `from`:
  // the leftmost start, and at that start the end chosen by the stars' priority. With
  // kAtStart only a match beginning exactly at `from` counts.
  std::optional<Span> Find(std::string_view text, std::size_t from, Anchor anchor) const;

 private:
  enum class AtomKind : unsigned char { kLiteral, kAnyRune, kStar };
  struct Atom {
    AtomKind kind;
    char32_t rune;  // kLiteral only
  };
  struct Thread {
    std::size_t pc;     // index into atoms_; atoms_.size() means "matched"
    std::size_t start;  // where this thread's match began
  };
  class ThreadQueue;

  ShellPattern(std::vector<Atom> atoms, Stars stars);
  void AddThread(ThreadQueue& queue, std::size_t pc, std::size_t start) const;

  std::vector<Atom> atoms_;
  Stars stars_;
};

// `${VAR#p}` (kShortest) and `${VAR##p}` (kLongest): value without the matched prefix.
enum class AffixMatch { kShortest, kLongest };
// Errors (kInvalidArgument) read "invalid pattern (P) in substitution: invalid escape '\x'".
Result<std::string> TrimShellPrefix(std::string_view pattern, std::string_view value,
                                    AffixMatch match);
// `${VAR%p}` and `${VAR%%p}`. BuildKit (lex.go trimSuffix) reverses pattern and value and
// trims a prefix, so an invalid UTF-8 byte of the value comes back as U+FFFD and an error
// names the reversed pattern; this reproduces both.
Result<std::string> TrimShellSuffix(std::string_view pattern, std::string_view value,
                                    AffixMatch match);

// `${VAR/p/r}` (kFirst: the leftmost match, replaced by r verbatim) and `${VAR//p/r}` (kAll:
// Go's Regexp.ReplaceAllString, so `$$`, `$0` and `${0}` in r are expanded; see the .cc).
// A result longer than max_result_bytes is an error: replacing every match of an empty
// pattern multiplies sizes, so nested replacements would otherwise grow exponentially.
enum class ReplaceCount { kFirst, kAll };
Result<std::string> ReplaceShellPattern(std::string_view value, std::string_view pattern,
                                        std::string_view replacement, ReplaceCount count,
                                        std::size_t max_result_bytes);

// The error for an expansion that grew past its limit: "value exceeds N bytes".
Error ValueTooLong(std::size_t max_bytes);

}  // namespace bt::frontend
