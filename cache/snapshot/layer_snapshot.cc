#include "cache/snapshot/layer_snapshot.h"

#include <fcntl.h>

#include <cerrno>
#include <vector>

#include "base/unique_fd.h"

namespace bt::cache {

Result<LayerTarget> OpenLayerTarget(const SnapshotStore& store, const std::string& id,
                                    const std::optional<std::string>& parent) {
  LayerTarget target;
  const std::string diff = store.DiffPath(id);
  target.diff.Reset(::open(diff.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!target.diff.valid()) return ErrnoError("open", diff, errno);
  if (parent) {
    BT_ASSIGN_OR_RETURN(const std::vector<std::string> chain, store.Chain(*parent));
    for (const std::string& lower : chain) {
      const std::string path = store.DiffPath(lower);
      UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd.valid()) return ErrnoError("open", path, errno);
      target.lower_fds.push_back(fd.get());
      target.lowers.push_back(std::move(fd));
    }
  }
  return target;
}

Result<AppliedLayer> ApplyLayerAsSnapshot(SnapshotStore& store,
                                          const std::optional<std::string>& parent, int layer_fd,
                                          const ApplyOptions& options) {
  BT_ASSIGN_OR_RETURN(std::string id, store.Prepare(parent));
  // Everything below either commits the snapshot or removes it.
  const auto apply = [&]() -> Result<ApplyStats> {
    BT_ASSIGN_OR_RETURN(LayerTarget target, OpenLayerTarget(store, id, parent));
    BT_ASSIGN_OR_RETURN(ApplyStats stats,
                        ApplyLayer(layer_fd, target.diff.get(), target.lower_fds, options));
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
