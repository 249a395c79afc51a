#include "executor/fileop/wildcards.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "executor/fileop/dir_listing.h"
#include "executor/fileop/go_match.h"
#include "executor/fileop/go_path.h"
#include "executor/fileop/path_error.h"

namespace bt::executor {
namespace {

class Walker {
 public:
  Walker(const RootDir& root, std::string_view pattern, std::string base)
      : root_(root), pattern_(pattern), base_(std::move(base)), max_depth_(MaxDepth(pattern)) {}

  // Walks the directory `dir_fd` whose path below the base is `rel` ("" for the base).
  Result<void> Walk(int dir_fd, const std::string& rel, size_t depth) {
    BT_ASSIGN_OR_RETURN(std::vector<std::string> names,
                        root_.ListVisible(dir_fd, rel.empty() ? base_ : GoJoin(base_, rel)));
    for (const std::string& name : names) {
      const std::string child = rel.empty() ? name : rel + "/" + name;
      struct stat st;
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return PathError("lstat", Shown(GoJoin(base_, child)), errno);
      }
      if (GoPathMatch(pattern_, child)) {
        matches_.push_back(base_.empty() ? child : base_ + "/" + child);
        continue;  // filepath.SkipDir for a matching directory
      }
      if (!S_ISDIR(st.st_mode) || depth + 1 >= max_depth_) continue;
      const int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return PathError("open", Shown(GoJoin(base_, child)), errno);
      UniqueFd sub(fd);
      BT_TRY(Walk(sub.get(), child, depth + 1));
    }
    return {};
  }

  std::vector<std::string> TakeMatches() { return std::move(matches_); }

 private:
  // How deep a match can lie. '*', '?' and literals never match '/', so a pattern of N
  // components matches only paths of N components; a class ("[^a]" matches '/') or an
  // escape makes that unsure, and then the whole tree is walked, as fsutil does.
  static size_t MaxDepth(std::string_view pattern) {
    if (pattern.find_first_of("[\\") != std::string_view::npos) return SIZE_MAX;
    return static_cast<size_t>(std::count(pattern.begin(), pattern.end(), '/')) + 1;
  }

  const RootDir& root_;
  std::string_view pattern_;
  std::string base_;  // canonical, relative to the root
  size_t max_depth_;
  std::vector<std::string> matches_;
};

}  // namespace

Result<std::vector<std::string>> ResolveWildcards(const RootDir& root, std::string_view path,
                                                  cache::FinalComponent final_component) {
  auto [plain, pattern] = SplitWildcards(path);
  if (pattern.empty()) return std::vector<std::string>{plain};
  BT_ASSIGN_OR_RETURN(std::string base, root.Resolve(plain, final_component));
  BT_ASSIGN_OR_RETURN(std::optional<struct stat> st, root.Lstat(base));
  if (!st) return PathError("lstat", Shown(base), ENOENT);
  if (!S_ISDIR(st->st_mode)) return std::vector<std::string>{};  // Walk visits only the base
  BT_ASSIGN_OR_RETURN(UniqueFd dir, root.OpenDir(base));
  Walker walker(root, pattern, base);
  BT_TRY(walker.Walk(dir.get(), "", 0));
  return walker.TakeMatches();
}

}  // namespace bt::executor
