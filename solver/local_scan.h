// ScanFollowingSymlinks: a build context scanned for the paths its steps read. The scan is
// restricted to the include patterns the frontend gathered (COPY and ADD sources, bind-mount
// subpaths), as BuildKit transfers only those; but a path may reach outside them through a
// symlink (COPY link/file with link -> real/, or COPY link with link -> target.txt), and a
// target never scanned would read as missing: a wrong key, and a stale cache hit when it
// changes. So every selection is resolved in the scanned tree, each path the resolution
// looked up outside the patterns is added to them, and the context is scanned again (the
// stat cache makes that cheap) until every lookup was answered by a scan.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "cache/cache_root.h"
#include "cache/context_scanner.h"
#include "cache/path_patterns.h"
#include "cache/stat_cache.h"
#include "solver/cache_key.h"
#include "solver/step_runner.h"

namespace bt::solver {

struct LocalScanRequest {
  std::string dir;                            // the context directory
  const cache::PathPatterns* excludes = nullptr;  // .dockerignore; not owned
  std::vector<std::string> include_patterns;  // empty: everything
  std::vector<InputSelection> selections;     // what the build's steps read from it
  cache::StatCache* stat_cache = nullptr;     // not owned
};

struct LocalScanResult {
  cache::ContextTree tree;
  cache::ScanStats stats;  // summed over the scans
  int scans = 0;
};

// The selected content of `tree`, an input a step reads through selectors (COPY --from, a
// bind mount from a stage), scanned in a view of it made under `scratch`: what a content-based
// key hashes. Symlinks are followed as above; nothing but the selected paths is read.
Result<cache::ContextTree> ScanSelectedContent(cache::CacheRoot& root, const std::string& scratch,
                                               const Tree& tree,
                                               const std::vector<InputSelection>& selections);

// kInvalidArgument for a bad include pattern, or when symlinks keep leading out of the scanned
// paths after 40 rescans; scan errors as ContextScanner reports them.
Result<LocalScanResult> ScanFollowingSymlinks(const LocalScanRequest& request);

}  // namespace bt::solver
