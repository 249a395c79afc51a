#include "cache/include_patterns.h"

#include <utility>

namespace bt::cache {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

}  // namespace

Result<IncludePatterns> IncludePatterns::Parse(const std::vector<std::string>& patterns) {
  IncludePatterns out;
  for (const std::string& raw : patterns) {
    std::string clean = CleanSlashPath(raw);
    while (!clean.empty() && clean[0] == '/') clean.erase(0, 1);
    if (clean.empty() || clean == ".") {
      // The whole context: nothing to filter.
      out.patterns_.clear();
      out.everything_ = true;
      return out;
    }
    BT_ASSIGN_OR_RETURN(PathGlob whole, PathGlob::Compile(clean));
    Pattern p{std::move(whole), {}, {}};
    for (std::string_view comp : Split(clean)) {
      BT_ASSIGN_OR_RETURN(PathGlob glob, PathGlob::Compile(comp));
      p.components.push_back(std::move(glob));
      p.double_star.push_back(comp == "**");
    }
    out.patterns_.push_back(std::move(p));
    out.everything_ = false;
  }
  return out;
}

bool IncludePatterns::Included(std::string_view path) const {
  if (everything_ || path.empty() || path == ".") return true;
  for (const Pattern& p : patterns_) {
    if (p.whole.MatchesSelfOrParent(path)) return true;
  }
  return false;
}

bool IncludePatterns::MayMatchInside(std::string_view dir) const {
  if (everything_) return true;
  const std::vector<std::string_view> parts = Split(dir);
  for (const Pattern& p : patterns_) {
    bool may = true;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i >= p.components.size()) {
        may = false;  // the pattern ends above this directory (and did not match it)
        break;
      }
      if (p.double_star[i]) return true;  // "**" spans any number of directories
      if (!p.components[i].Matches(parts[i])) {
        may = false;
        break;
      }
    }
    if (may && parts.size() < p.components.size()) return true;
  }
  return false;
}

}  // namespace bt::cache
