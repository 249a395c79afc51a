// PathGlob: one .dockerignore pattern, compiled exactly as moby/patternmatcher compiles it
// (patternmatcher.go: New's filepath.Match syntax check, then Pattern.compile's exact /
// prefix / suffix / regexp kinds), but matched in linear time: the regexp that
// patternmatcher would hand to Go's regexp package is parsed here into a Thompson NFA over
// UTF-8 runes and simulated state-set by state-set, so no input can make matching
// backtrack: O(path runes x pattern states). The translation's quirks are kept on purpose
// (a pattern must exclude what Docker and BuildKit exclude): see ShouldEscape in the .cc.
// Differentially tested against patternmatcher itself on ~600k random pattern sets; the
// only differences are errors that we report eagerly. Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bt::cache {

class PathGlob {
 public:
  // `pattern` is one cleaned pattern without its leading '!' (as patternmatcher.New leaves
  // it). kInvalidArgument when Go's filepath.Match would reject its syntax, or when Go's
  // regexp.Compile would reject patternmatcher's translation of it (patternmatcher then
  // fails every match with ErrBadPattern; we fail up front), or when the translation uses
  // a regexp feature this matcher does not implement (Unicode classes \p and \P).
  static Result<PathGlob> Compile(std::string_view pattern);

  // Pattern.match: whether the whole of `path` ('/'-separated) matches.
  bool Matches(std::string_view path) const;
  // The per-pattern test of PatternMatcher.MatchesOrParentMatches: `path` matches, or one
  // of the parents that filepath.Dir(path) names (each prefix ending before a '/') does.
  bool MatchesSelfOrParent(std::string_view path) const;

  const std::string& pattern() const { return pattern_; }

 private:
  // patternmatcher's matchType. kRegexp patterns run the NFA; the others are string tests.
  enum class Kind { kExact, kPrefix, kSuffix, kRegexp };
  enum class Op : uint8_t {
    kRune, kClass, kAnyNotNewline,                                     // consume one rune
    kBeginText, kEndText, kWordBoundary, kNotWordBoundary,             // zero-width assertions
    kSplit, kMatch,
  };
  struct State {
    Op op = Op::kMatch;
    char32_t rune = 0;   // kRune
    int32_t cls = -1;    // kClass: index into classes_
    int32_t out = -1;    // next state (kSplit: first alternative)
    int32_t out1 = -1;   // kSplit: second alternative
  };
  // A set of runes as sorted, disjoint, inclusive ranges.
  using RuneClass = std::vector<std::pair<char32_t, char32_t>>;
  class Compiler;
  class Simulation;

  PathGlob() = default;
  bool MatchesLiteralKind(std::string_view path) const;

  std::string pattern_;
  Kind kind_ = Kind::kExact;
  std::vector<State> states_;     // kRegexp only
  std::vector<RuneClass> classes_;
  int32_t start_ = -1;            // kRegexp only: the NFA's start state
};

// Go's path.Clean on a '/'-separated path ("" becomes ".").
std::string CleanSlashPath(std::string_view path);

}  // namespace bt::cache
