#include "cache/path_patterns.h"

#include <string>
#include <utility>
#include <vector>

namespace bt::cache {
namespace {

// The UTF-8 encodings of Go's unicode.IsSpace beyond ASCII.
constexpr std::string_view kUnicodeSpaces[] = {
    "\xC2\x85",     "\xC2\xA0",     "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81",
    "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86",
    "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A", "\xE2\x80\xA8",
    "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80",
};

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// The length of the white-space rune at the start (or, with `at_end`, the end) of `s`.
size_t SpaceLen(std::string_view s, bool at_end) {
  if (s.empty()) return 0;
  if (IsAsciiSpace(at_end ? s.back() : s.front())) return 1;
  for (const std::string_view sp : kUnicodeSpaces) {
    if (s.size() < sp.size()) continue;
    if ((at_end ? s.substr(s.size() - sp.size()) : s.substr(0, sp.size())) == sp) {
      return sp.size();
    }
  }
  return 0;
}

// Wildcard characters that make fsutil give up on the "prefix" shortcut (filter.go).
constexpr std::string_view kPatternChars = "*[]?^\\";

// patternWithoutTrailingGlob in tonistiigi/fsutil filter.go.
std::string_view WithoutTrailingGlob(std::string_view p) {
  if (p.size() >= 3 && p.substr(p.size() - 3) == "/**") p.remove_suffix(3);
  if (p.size() >= 2 && p.substr(p.size() - 2) == "/*") p.remove_suffix(2);
  return p;
}

}  // namespace

std::string_view TrimGoSpace(std::string_view s) {
  while (size_t n = SpaceLen(s, /*at_end=*/false)) s.remove_prefix(n);
  while (size_t n = SpaceLen(s, /*at_end=*/true)) s.remove_suffix(n);
  return s;
}

PathPatterns::PathPatterns(std::vector<Entry> entries) : entries_(std::move(entries)) {
  for (const Entry& e : entries_) {
    if (!e.exception) continue;
    has_exceptions_ = true;
    const std::string_view cut = WithoutTrailingGlob(e.glob.pattern());
    if (cut.find_first_of(kPatternChars) != std::string_view::npos) {
      exceptions_are_prefixes_ = false;
    }
    exception_dirs_.push_back(std::string(cut) + "/");
  }
}

Result<PathPatterns> PathPatterns::Parse(const std::vector<std::string>& lines) {
  std::vector<Entry> entries;
  for (const std::string& line : lines) {
    const std::string_view trimmed = TrimGoSpace(line);
    if (trimmed.empty()) continue;
    std::string p = CleanSlashPath(trimmed);
    bool exception = false;
    if (p[0] == '!') {
      if (p.size() == 1) {
        return MakeError(ErrorCode::kInvalidArgument, "illegal exclusion pattern: \"!\"");
      }
      exception = true;
      p.erase(0, 1);
    }
    BT_ASSIGN_OR_RETURN(PathGlob glob, PathGlob::Compile(p));
    entries.push_back(Entry{std::move(glob), exception});
  }
  return PathPatterns(std::move(entries));
}

bool PathPatterns::Excluded(std::string_view path) const {
  if (path.empty() || path == ".") return false;
  bool matched = false;
  for (const Entry& e : entries_) {
    // An include cannot change a match, nor an exception a non-match (patternmatcher).
    if (e.exception != matched) continue;
    if (e.glob.MatchesSelfOrParent(path)) matched = !e.exception;
  }
  return matched;
}

bool PathPatterns::MayMatchInside(std::string_view dir) const {
  if (!has_exceptions_) return false;
  if (!exceptions_are_prefixes_) return true;
  const std::string dir_slash = std::string(dir) + "/";
  for (const std::string& p : exception_dirs_) {
    if (p.compare(0, dir_slash.size(), dir_slash) == 0) return true;
  }
  return false;
}

Result<std::vector<std::string>> ReadDockerignore(std::string_view text) {
  constexpr size_t kMaxLine = 64 * 1024;  // bufio.MaxScanTokenSize
  std::vector<std::string> out;
  bool first = true;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.size() >= kMaxLine) {
      return MakeError(ErrorCode::kInvalidArgument, "read .dockerignore: token too long");
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // bufio.ScanLines
    if (first && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    first = false;
    if (!line.empty() && line[0] == '#') continue;
    std::string_view pattern = TrimGoSpace(line);
    if (pattern.empty()) continue;
    const bool invert = pattern[0] == '!';
    if (invert) pattern = TrimGoSpace(pattern.substr(1));
    std::string cleaned;
    if (!pattern.empty()) {
      cleaned = CleanSlashPath(pattern);
      if (cleaned.size() > 1 && cleaned[0] == '/') cleaned.erase(0, 1);
    }
    out.push_back(invert ? "!" + cleaned : cleaned);
  }
  return out;
}

}  // namespace bt::cache
