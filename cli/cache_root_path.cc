#include "cli/cache_root_path.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cli/error_report.h"

namespace bt::cli {

namespace {

// An absolute path: mount options, runtime bundles and records name paths inside the root,
// and a relative one would be read against whatever directory reads it (the overlay mount of
// a build with --root some/dir failed with ENOENT).
std::string Absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char* cwd = ::getcwd(nullptr, 0);
  if (cwd == nullptr) return path;  // the open that follows reports the problem
  std::string out = std::string(cwd) + "/" + path;
  ::free(cwd);
  return out;
}

}  // namespace

std::string CacheRootPath(const std::string& root_flag) {
  if (!root_flag.empty()) return Absolute(root_flag);
  if (const char* env = std::getenv("BUILDTOOL_ROOT"); env && *env) return Absolute(env);
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
