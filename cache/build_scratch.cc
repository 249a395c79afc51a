#include "cache/build_scratch.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <memory>
#include <set>
#include <string_view>
#include <vector>

#include "base/temp_dir.h"

namespace bt::cache {
namespace {

constexpr std::string_view kPrefix = "build-";

struct DirClose {
  void operator()(DIR* d) const { ::closedir(d); }
};

}  // namespace

Result<std::string> MakeBuildScratchDir(CacheRoot& root, const Lease& lease) {
  const std::string dir = root.tmp_dir() + "/" + std::string(kPrefix) + lease.id();
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoError("mkdir", dir, errno);
  return dir;
}

Result<std::size_t> RemoveAbandonedScratchDirs(CacheRoot& root) {
  std::vector<std::string> doomed;
  {
    std::unique_ptr<DIR, DirClose> dir(::opendir(root.tmp_dir().c_str()));
    if (!dir) {
      if (errno == ENOENT) return std::size_t{0};
      return ErrnoError("opendir", root.tmp_dir(), errno);
    }
    while (const dirent* e = ::readdir(dir.get())) {
      const std::string_view name = e->d_name;
      if (name.substr(0, kPrefix.size()) != kPrefix) continue;
      const std::string id(name.substr(kPrefix.size()));
      // Only names a build could have made; a lease that is live keeps its directory, whether
      // or not it recorded anything yet.
      if (!IsValidLeaseId(id)) continue;
      BT_ASSIGN_OR_RETURN(const bool live, LeaseIsLive(root.path(), id));
      if (live) continue;
      doomed.emplace_back(name);
    }
  }
  for (const std::string& name : doomed) BT_TRY(RemoveTree(root.tmp_dir() + "/" + name));
  return doomed.size();
}

}  // namespace bt::cache
