// IncludePatterns: the paths of a build context a build reads (LocalSource::include_patterns,
// gathered from the sources of every COPY and ADD), so that a scan reads and hashes only those,
// as BuildKit's context transfer does with fsutil's IncludePatterns. A path is included when an
// include pattern matches it or one of its parents (a copied directory brings everything below
// it); a directory that is not included is still walked when a pattern may match something
// inside it, compared component by component ("src/*/a.go" walks "src" and "src/x", not "doc").
// Patterns are the .dockerignore glob syntax (PathGlob), leading "/" and "./" cleaned away.
// Immutable after Parse(); thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cache/path_glob.h"

namespace bt::cache {

class IncludePatterns {
 public:
  // kInvalidArgument for a pattern PathGlob rejects. No patterns at all includes everything.
  static Result<IncludePatterns> Parse(const std::vector<std::string>& patterns);

  // Whether `path` (context-relative, cleaned, '/'-separated; "" is the root) is included.
  bool Included(std::string_view path) const;
  // For a directory that is not included: whether a pattern may match something below it.
  bool MayMatchInside(std::string_view dir) const;

  bool everything() const { return everything_; }

 private:
  struct Pattern {
    PathGlob whole;
    std::vector<PathGlob> components;  // one glob per '/'-separated component
    std::vector<bool> double_star;     // components[i] is "**": matches any run of components
  };
  IncludePatterns() = default;

  bool everything_ = true;
  std::vector<Pattern> patterns_;
};

}  // namespace bt::cache
