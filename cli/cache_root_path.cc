#include "cli/cache_root_path.h"

#include <unistd.h>

#include <cstdlib>

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

}  // namespace bt::cli
