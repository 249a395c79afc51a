#include "executor/fileop/go_match.h"

#include <optional>
#include <vector>

#include "cache/path_glob.h"

namespace bt::executor {
namespace {

constexpr char32_t kRuneError = 0xFFFD;

struct Rune {
  char32_t value = kRuneError;
  size_t size = 1;  // bytes consumed; 1 for an invalid byte, as Go's utf8.DecodeRuneInString
};

// utf8.DecodeRuneInString: invalid, overlong, surrogate or out-of-range sequences decode as
// (RuneError, 1).
Rune DecodeRune(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
  if (s.empty()) return {kRuneError, 0};
  const unsigned char c = b(0);
  if (c < 0x80) return {c, 1};
  if (c >= 0xC2 && c <= 0xDF && cont(1)) return {char32_t((c & 0x1F) << 6 | (b(1) & 0x3F)), 2};
  if (c >= 0xE0 && c <= 0xEF && cont(1) && cont(2)) {
    const char32_t r = (c & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F);
    if (r < 0x800 || (r >= 0xD800 && r <= 0xDFFF)) return {};
    return {r, 3};
  }
  if (c >= 0xF0 && c <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    const char32_t r = (c & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F);
    if (r < 0x10000 || r > 0x10FFFF) return {};
    return {r, 4};
  }
  return {};
}

// filepath's getEsc: one possibly escaped rune of a class; nullopt for a malformed class.
std::optional<char32_t> ClassRune(std::string_view& chunk) {
  if (chunk.empty() || chunk[0] == '-' || chunk[0] == ']') return std::nullopt;
  if (chunk[0] == '\\') {
    chunk.remove_prefix(1);
    if (chunk.empty()) return std::nullopt;
  }
  const Rune r = DecodeRune(chunk);
  if (r.value == kRuneError && r.size == 1) return std::nullopt;
  chunk.remove_prefix(r.size);
  if (chunk.empty()) return std::nullopt;  // the class never closes
  return r.value;
}

enum class ChunkResult { kMatch, kNoMatch, kBadPattern };

// Matches a chunk (literals, '?', classes; no '*') against the start of `s`; on kMatch `s`
// is left at the rest. The whole chunk is parsed even after a mismatch, so a malformed
// pattern is always reported, as Go does.
ChunkResult MatchChunk(std::string_view chunk, std::string_view& s) {
  bool failed = false;
  while (!chunk.empty()) {
    if (!failed && s.empty()) failed = true;
    switch (chunk[0]) {
      case '[': {
        char32_t r = 0;
        if (!failed) {
          const Rune rune = DecodeRune(s);
          r = rune.value;
          s.remove_prefix(rune.size);
        }
        chunk.remove_prefix(1);
        bool negated = false;
        if (!chunk.empty() && chunk[0] == '^') {
          negated = true;
          chunk.remove_prefix(1);
        }
        bool match = false;
        for (int ranges = 0;; ++ranges) {
          if (!chunk.empty() && chunk[0] == ']' && ranges > 0) {
            chunk.remove_prefix(1);
            break;
          }
          std::optional<char32_t> lo = ClassRune(chunk);
          if (!lo) return ChunkResult::kBadPattern;
          char32_t hi = *lo;
          if (chunk[0] == '-') {
            chunk.remove_prefix(1);
            std::optional<char32_t> end = ClassRune(chunk);
            if (!end) return ChunkResult::kBadPattern;
            hi = *end;
          }
          if (*lo <= r && r <= hi) match = true;
        }
        if (match == negated) failed = true;
        break;
      }
      case '?':
        if (!failed) {
          if (s[0] == '/') failed = true;
          s.remove_prefix(DecodeRune(s).size);
        }
        chunk.remove_prefix(1);
        break;
      case '\\':
        chunk.remove_prefix(1);
        if (chunk.empty()) return ChunkResult::kBadPattern;
        [[fallthrough]];
      default:
        if (!failed) {
          if (chunk[0] != s[0]) failed = true;
          s.remove_prefix(1);
        }
        chunk.remove_prefix(1);
        break;
    }
  }
  return failed ? ChunkResult::kNoMatch : ChunkResult::kMatch;
}

// scanChunk: leading stars, then the pattern up to the next '*' outside a class.
void ScanChunk(std::string_view& pattern, bool& star, std::string_view& chunk) {
  star = false;
  while (!pattern.empty() && pattern[0] == '*') {
    pattern.remove_prefix(1);
    star = true;
  }
  bool in_range = false;
  size_t i = 0;
  for (; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      if (i + 1 < pattern.size()) ++i;
    } else if (c == '[') {
      in_range = true;
    } else if (c == ']') {
      in_range = false;
    } else if (c == '*' && !in_range) {
      break;
    }
  }
  chunk = pattern.substr(0, i);
  pattern.remove_prefix(i);
}

}  // namespace

bool GoPathMatch(std::string_view pattern, std::string_view name) {
  while (!pattern.empty()) {
    bool star = false;
    std::string_view chunk;
    ScanChunk(pattern, star, chunk);
    if (star && chunk.empty()) return name.find('/') == std::string_view::npos;
    std::string_view rest = name;
    const ChunkResult here = MatchChunk(chunk, rest);
    // The last chunk must consume the whole name; an earlier one may leave the rest to stars.
    if (here == ChunkResult::kMatch && (rest.empty() || !pattern.empty())) {
      name = rest;
      continue;
    }
    if (here == ChunkResult::kBadPattern) return false;
    bool advanced = false;
    if (star) {
      for (size_t i = 0; i < name.size() && name[i] != '/'; ++i) {
        std::string_view later = name.substr(i + 1);
        const ChunkResult r = MatchChunk(chunk, later);
        if (r == ChunkResult::kBadPattern) return false;
        if (r != ChunkResult::kMatch) continue;
        if (pattern.empty() && !later.empty()) continue;
        name = later;
        advanced = true;
        break;
      }
    }
    if (!advanced) return false;
  }
  return name.empty();
}

bool ContainsWildcards(std::string_view name) {
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '\\') {
      ++i;
    } else if (c == '*' || c == '?' || c == '[') {
      return true;
    }
  }
  return false;
}

std::pair<std::string, std::string> SplitWildcards(std::string_view path) {
  const std::string cleaned = path.empty() ? std::string() : cache::CleanSlashPath(path);
  std::vector<std::string> head;
  std::vector<std::string> tail;
  bool found = false;
  size_t pos = 0;
  while (pos <= cleaned.size()) {
    size_t end = cleaned.find('/', pos);
    if (end == std::string::npos) end = cleaned.size();
    std::string part = cleaned.substr(pos, end - pos);
    pos = end + 1;
    if (!found && ContainsWildcards(part)) found = true;
    (found ? tail : head).push_back(part.empty() ? std::string(1, '/') : std::move(part));
  }
  // filepath.Join of the parts: empty parts vanish, the result is cleaned.
  const auto join = [](const std::vector<std::string>& parts) {
    std::string out;
    for (const std::string& p : parts) {
      if (p.empty()) continue;
      if (!out.empty()) out += '/';
      out += p;
    }
    return out.empty() ? std::string() : cache::CleanSlashPath(out);
  };
  return {join(head), join(tail)};
}

}  // namespace bt::executor
