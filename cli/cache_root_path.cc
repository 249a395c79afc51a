#include "cli/cache_root_path.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cli/error_report.h"

namespace bt::cli {

std::string CacheRootPath(const std::string& root_flag) {
  if (!root_flag.empty()) return root_flag;
  if (const char* env = std::getenv("BUILDTOOL_ROOT"); env && *env) return env;
  if (::geteuid() == 0) return "/var/lib/buildtool";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/buildtool";
  }
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.local/share/buildtool";
}

std::optional<cache::CacheRoot> OpenCacheRootOrReport(const std::string& root_flag,
                                                      cache::SnapshotterKind snapshotter) {
  const std::string path = CacheRootPath(root_flag);
  Result<cache::CacheRoot> root = cache::CacheRoot::Open(path, snapshotter);
  if (!root) {
    std::fputs(FormatError(std::move(root).error().Wrap("open cache root " + path), "").c_str(),
               stderr);
    return std::nullopt;
  }
  return std::move(*root);
}

}  // namespace bt::cli
