#include "frontend/lowering/container_path.h"

#include <vector>

namespace bt::frontend {

std::string CleanPath(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path.front() == '/';
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    const std::size_t start = i;
    while (i < path.size() && path[i] != '/') ++i;
    const std::string_view part = path.substr(start, i - start);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);  // a relative path keeps leading ".."
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += '/';
    out.append(parts[k]);
  }
  return out.empty() ? "." : out;
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty() && b.empty()) return "";
  if (a.empty()) return CleanPath(b);
  if (b.empty()) return CleanPath(a);
  std::string joined(a);
  joined += '/';
  joined.append(b);
  return CleanPath(joined);
}

std::string NormalizePath(std::string_view parent, std::string_view path, TrailingSlash slash) {
  std::string base = parent.empty() ? "/" : std::string(parent);
  if (base.front() != '/') base = JoinPath("/", base);
  std::string out = path.empty() ? base : std::string(path);
  if (out.front() != '/') out = JoinPath(base, out);
  if (slash == TrailingSlash::kKeep) {
    const auto ends_with = [&](std::string_view s, std::string_view suffix) {
      return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
    };
    if (ends_with(path, "/") && !ends_with(out, "/")) {
      out += '/';
    } else if (ends_with(path, "/.")) {
      if (out != "/") out += '/';
      out += '.';
    }
  }
  return out;
}

}  // namespace bt::frontend
