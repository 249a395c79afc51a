#include "cache/context_scanner.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "base/unique_fd.h"
#include "cache/context_checksum.h"
#include "cache/context_walk.h"
#include "cache/path_glob.h"

namespace bt::cache {
namespace {

constexpr int kMaxSymlinkHops = 40;  // Linux's MAXSYMLINKS

std::string Join(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

}  // namespace

ContextScanner::ContextScanner(ContextScanOptions options) : options_(options) {}

Result<ContextTree> ContextScanner::Scan(std::string_view context_dir) {
  stats_ = ScanStats{};
  const std::string dir(context_dir);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return ErrnoError("open build context", dir, errno);
  ContextTree tree;
  BT_ASSIGN_OR_RETURN(tree.nodes_, WalkContext(std::move(fd), options_, &stats_));
  return tree;
}

const ContextNode* ContextTree::Find(std::string_view path) const {
  const std::string clean = CleanSlashPath(path);
  if (clean == "." || clean == "/") return &nodes_[0];
  uint32_t cur = 0;
  std::string_view rest = clean;
  if (!rest.empty() && rest[0] == '/') rest.remove_prefix(1);
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    const std::string_view comp = rest.substr(0, slash);
    rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
    const std::vector<uint32_t>& kids = nodes_[cur].children;
    auto it = std::lower_bound(kids.begin(), kids.end(), comp, [&](uint32_t i, std::string_view n) {
      return std::string_view(nodes_[i].name) < n;
    });
    if (it == kids.end() || nodes_[*it].name != comp) return nullptr;
    cur = *it;
  }
  return &nodes_[cur];
}

Result<uint32_t> ContextTree::Resolve(std::string_view path, FinalSymlink final,
                                      std::vector<std::string>* absent) const {
  std::string p = CleanSlashPath("/" + std::string(path));
  for (int hops = 0;; ++hops) {
    if (hops > kMaxSymlinkHops) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "resolve " + std::string(path) + ": too many levels of symbolic links");
    }
    uint32_t cur = 0;
    std::string walked;  // the resolved path of `cur`, "" for the root
    std::string_view rest = std::string_view(p).substr(1);
    bool restarted = false;
    while (!rest.empty()) {
      const size_t slash = rest.find('/');
      const std::string_view comp = rest.substr(0, slash);
      rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
      const ContextNode* child = Find(walked + "/" + std::string(comp));
      if (child == nullptr) {
        if (absent != nullptr) {
          absent->push_back(Join(walked.empty() ? "" : walked.substr(1), comp));
        }
        return MakeError(ErrorCode::kNotFound,
                         "checksum " + std::string(path) + ": no such file in the build context");
      }
      if (child->type == ContextNodeType::kSymlink &&
          (!rest.empty() || final == FinalSymlink::kFollow)) {
        const std::string& target = child->link_target;
        const std::string base = !target.empty() && target[0] == '/' ? "" : walked;
        p = CleanSlashPath("/" + base + "/" + target + (rest.empty() ? "" : "/") +
                           std::string(rest));
        restarted = true;
        break;
      }
      walked += "/" + std::string(comp);
      cur = static_cast<uint32_t>(child - nodes_.data());
    }
    if (!restarted) return cur;
  }
}

Result<ContextTree::Selected> ContextTree::Select(std::string_view selector, FinalSymlink final,
                                                  std::vector<std::string>* absent) const {
  Selected out;
  if (selector.find_first_of("*?[\\") == std::string_view::npos) {
    BT_ASSIGN_OR_RETURN(const uint32_t index, Resolve(selector, final, absent));
    out.matches.emplace_back(std::string(), index);
    return out;
  }
  out.glob = true;
  std::string pattern = CleanSlashPath(selector);
  if (pattern.size() > 1 && pattern[0] == '/') pattern.erase(0, 1);
  BT_ASSIGN_OR_RETURN(const PathGlob glob, PathGlob::Compile(pattern));
  // The directories before the first component with a glob character name one directory,
  // resolved through symlinks like any path; matches below it keep the names the pattern used.
  std::string prefix;
  for (size_t start = 0;;) {
    const size_t slash = pattern.find('/', start);
    if (slash == std::string::npos) break;
    const std::string_view comp = std::string_view(pattern).substr(start, slash - start);
    if (comp.find_first_of("*?[\\") != std::string_view::npos) break;
    prefix = pattern.substr(0, slash);
    start = slash + 1;
  }
  uint32_t top = 0;
  if (!prefix.empty()) {
    Result<uint32_t> dir = Resolve(prefix, FinalSymlink::kFollow, absent);
    if (!dir || nodes_[*dir].type != ContextNodeType::kDirectory) {
      return MakeError(ErrorCode::kNotFound, "checksum " + std::string(selector) +
                                                 ": no file in the build context matches");
    }
    top = *dir;
  }
  std::vector<std::pair<uint32_t, std::string>> stack = {{top, prefix}};
  while (!stack.empty()) {
    auto [index, path] = std::move(stack.back());
    stack.pop_back();
    if (!path.empty() && glob.Matches(path)) {
      uint32_t content = index;
      if (final == FinalSymlink::kFollow && nodes_[index].type == ContextNodeType::kSymlink) {
        BT_ASSIGN_OR_RETURN(content, Resolve(path, final, absent));
      }
      out.matches.emplace_back(path, content);
    }
    const std::vector<uint32_t>& kids = nodes_[index].children;
    for (auto it = kids.rbegin(); it != kids.rend(); ++it) {
      stack.emplace_back(*it, Join(path, nodes_[*it].name));
    }
  }
  if (out.matches.empty()) {
    return MakeError(ErrorCode::kNotFound, "checksum " + std::string(selector) +
                                               ": no file in the build context matches");
  }
  return out;
}

Result<Checksum128> ContextTree::ChecksumOf(std::string_view selector, FinalSymlink final,
                                            std::vector<std::string>* absent) const {
  BT_ASSIGN_OR_RETURN(const Selected selected, Select(selector, final, absent));
  if (!selected.glob) return nodes_[selected.matches[0].second].checksum;
  // Glob encoding: 'G', then per match in tree order: u32 path length, path, checksum.
  std::string buf = "G";
  for (const auto& [path, index] : selected.matches) {
    AppendU32(&buf, static_cast<uint32_t>(path.size()));
    buf.append(path);
    AppendChecksum(&buf, nodes_[index].checksum);
  }
  return HashBytes(buf);
}

}  // namespace bt::cache
