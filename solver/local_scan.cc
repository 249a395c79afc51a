#include "solver/local_scan.h"

#include <set>
#include <utility>

#include "cache/include_patterns.h"
#include "cache/path_glob.h"
#include "solver/tree_view.h"

namespace bt::solver {
namespace {

constexpr int kMaxRescans = 40;  // as Linux's MAXSYMLINKS: each rescan follows one more link

// A literal path as an include pattern: glob characters escaped.
std::string LiteralPattern(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

Result<LocalScanResult> ScanFollowingSymlinks(const LocalScanRequest& request) {
  std::vector<std::string> patterns = request.include_patterns;
  std::set<std::string> added;
  LocalScanResult result;
  for (;;) {
    BT_ASSIGN_OR_RETURN(const cache::IncludePatterns includes,
                        cache::IncludePatterns::Parse(patterns));
    cache::ContextScanner scanner({.excludes = request.excludes,
                                   .includes = &includes,
                                   .stat_cache = request.stat_cache});
    BT_ASSIGN_OR_RETURN(result.tree, scanner.Scan(request.dir));
    ++result.scans;
    result.stats.entries_stated += scanner.stats().entries_stated;
    result.stats.files_opened += scanner.stats().files_opened;
    result.stats.bytes_read += scanner.stats().bytes_read;
    result.stats.cache_hits += scanner.stats().cache_hits;
    if (includes.everything()) return result;

    std::vector<std::string> absent;
    for (const InputSelection& s : request.selections) {
      // Only the lookups matter here; the checksum itself is the keys' business.
      static_cast<void>(result.tree.ChecksumOf(
          s.selector,
          s.follow ? cache::ContextTree::FinalSymlink::kFollow
                   : cache::ContextTree::FinalSymlink::kAsLink,
          &absent));
    }
    bool more = false;
    for (const std::string& path : absent) {
      // Inside the patterns, the scan looked: the path is really missing (or excluded).
      if (includes.Included(path) || !added.insert(path).second) continue;
      patterns.push_back(LiteralPattern(path));
      more = true;
    }
    if (!more) return result;
    if (result.scans > kMaxRescans) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "scan the build context " + request.dir +
                           ": symlinks keep leading out of the paths the build reads");
    }
  }
}

Result<cache::ContextTree> ScanSelectedContent(cache::CacheRoot& root, const std::string& scratch,
                                               const Tree& tree,
                                               const std::vector<InputSelection>& selections) {
  BT_ASSIGN_OR_RETURN(const TreeView view, OpenView(root, scratch, tree));
  LocalScanRequest request;
  request.dir = view.path;
  request.selections = selections;
  for (const InputSelection& s : selections) {
    const std::string clean = cache::CleanSlashPath(s.selector);
    if (clean == "/" || clean == ".") {
      request.include_patterns.clear();  // the whole tree
      break;
    }
    request.include_patterns.push_back(clean[0] == '/' ? clean.substr(1) : clean);
  }
  BT_ASSIGN_OR_RETURN(LocalScanResult scanned, ScanFollowingSymlinks(request));
  return std::move(scanned.tree);
}

}  // namespace bt::solver
