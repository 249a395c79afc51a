#include "cache/snapshot/layer_snapshot.h"

#include <fcntl.h>

#include <cerrno>
#include <vector>

#include "base/unique_fd.h"

namespace bt::cache {

Result<AppliedLayer> ApplyLayerAsSnapshot(SnapshotStore& store,
                                          const std::optional<std::string>& parent, int layer_fd,
                                          const ApplyOptions& options) {
  BT_ASSIGN_OR_RETURN(std::string id, store.Prepare(parent));
  // Everything below either commits the snapshot or removes it.
  const auto apply = [&]() -> Result<ApplyStats> {
    const std::string diff = store.DiffPath(id);
    UniqueFd diff_fd(::open(diff.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!diff_fd.valid()) return ErrnoError("open", diff, errno);
    std::vector<UniqueFd> lowers;
    std::vector<int> lower_fds;
    if (parent) {
      BT_ASSIGN_OR_RETURN(std::vector<std::string> chain, store.Chain(*parent));
      for (const std::string& lower : chain) {
        const std::string path = store.DiffPath(lower);
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd.valid()) return ErrnoError("open", path, errno);
        lower_fds.push_back(fd.get());
        lowers.push_back(std::move(fd));
      }
    }
    BT_ASSIGN_OR_RETURN(ApplyStats stats, ApplyLayer(layer_fd, diff_fd.get(), lower_fds, options));
    BT_TRY(store.Commit(id));
    return stats;
  };
  Result<ApplyStats> stats = apply();
  if (!stats) {
    (void)store.Remove(id);  // best effort: `du --check` drops it if this fails too
    return std::move(stats).error();
  }
  return AppliedLayer{std::move(id), *stats};
}

}  // namespace bt::cache
