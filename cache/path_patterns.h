// PathPatterns: the exclude list of a build context (.dockerignore), with the semantics of
// moby/patternmatcher as Docker and BuildKit apply it: patterns in file order, later ones
// win, '!' marks an exception, and a path is excluded when it or one of its parents
// matches (PatternMatcher.MatchesOrParentMatches). Each pattern is a PathGlob, so every
// query runs in time linear in the path length. Immutable after Parse(); thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cache/path_glob.h"

namespace bt::cache {

class PathPatterns {
 public:
  // patternmatcher.New: each line is trimmed (Unicode spaces), skipped when empty, cleaned
  // with path.Clean, then a leading '!' makes it an exception. kInvalidArgument for a lone
  // "!" and for a pattern PathGlob::Compile rejects.
  static Result<PathPatterns> Parse(const std::vector<std::string>& lines);

  // Whether `path` (relative to the context root, '/'-separated, normally cleaned) is
  // excluded. The root ("" or ".") is never excluded, as patternmatcher.Matches decides.
  bool Excluded(std::string_view path) const;

  // For an excluded directory `dir`: whether the walk must still descend because an
  // exception may re-include something below it. Follows tonistiigi/fsutil's filterFS.Walk
  // (the walker BuildKit's context transfer uses): no exceptions means no; an exception
  // with a wildcard (`*[]?^\` once a trailing "/**" or "/*" is cut) means yes; otherwise
  // yes only when some exception, cut that way and followed by '/', starts with `dir` + "/".
  bool MayMatchInside(std::string_view dir) const;

  bool has_exceptions() const { return has_exceptions_; }
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    PathGlob glob;
    bool exception = false;
  };
  explicit PathPatterns(std::vector<Entry> entries);

  std::vector<Entry> entries_;
  bool has_exceptions_ = false;
  bool exceptions_are_prefixes_ = true;       // no exception has a wildcard
  std::vector<std::string> exception_dirs_;   // each exception cut of "/**" or "/*", + "/"
};

// ignorefile.ReadAll: splits a .dockerignore into pattern lines. A UTF-8 BOM is stripped
// from the first line; lines starting with '#' are comments; lines are trimmed and blank
// ones dropped; "!" is kept apart from its pattern, which is cleaned and loses one leading
// '/'. kInvalidArgument for a line of 64 KiB or more (bufio.Scanner's limit).
Result<std::vector<std::string>> ReadDockerignore(std::string_view text);

// strings.TrimSpace: trims Unicode white space (Go's unicode.IsSpace) from both ends.
std::string_view TrimGoSpace(std::string_view s);

}  // namespace bt::cache
