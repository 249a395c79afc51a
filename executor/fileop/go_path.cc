#include "executor/fileop/go_path.h"

#include "cache/path_glob.h"

namespace bt::executor {

std::string GoJoin(std::string_view a, std::string_view b) {
  if (a.empty() && b.empty()) return "";
  if (a.empty()) return cache::CleanSlashPath(b);
  if (b.empty()) return cache::CleanSlashPath(a);
  std::string joined(a);
  joined += '/';
  joined.append(b);
  return cache::CleanSlashPath(joined);
}

std::string GoDir(std::string_view path) {
  const size_t slash = path.rfind('/');
  return cache::CleanSlashPath(slash == std::string_view::npos ? std::string_view()
                                                               : path.substr(0, slash + 1));
}

std::string GoBase(std::string_view path) {
  if (path.empty()) return ".";
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  if (path.empty()) return "/";
  return std::string(path);
}

std::pair<std::string, std::string> GoSplit(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {"", std::string(path)};
  return {std::string(path.substr(0, slash + 1)), std::string(path.substr(slash + 1))};
}

std::string CleanPathKeepingSlash(std::string_view s) {
  std::string out = GoJoin("/", s);
  if (s.size() >= 2 && s.substr(s.size() - 2) == "/.") {
    if (out != "/") out += '/';
    out += '.';
  } else if (!s.empty() && s.back() == '/' && out != "/") {
    out += '/';
  }
  return out;
}

std::string ToRelative(std::string_view clean_absolute) {
  while (!clean_absolute.empty() && clean_absolute.front() == '/') clean_absolute.remove_prefix(1);
  if (clean_absolute == ".") return "";
  return std::string(clean_absolute);
}

std::string Shown(std::string_view relative) { return "/" + std::string(relative); }

}  // namespace bt::executor
