#include "solver/tree_view.h"

#include <vector>

#include "cache/snapshot/chain_flatten.h"

namespace bt::solver {
namespace {

// Mounts the overlay the store describes for snapshot `id` at <scratch>/<prefix>XXXXXX/root.
Result<void> MountChain(cache::SnapshotStore& store, const std::string& id,
                        const std::string& scratch, std::string_view prefix,
                        std::optional<TempDir>& parent, executor::MountedTree& mount) {
  BT_ASSIGN_OR_RETURN(cache::OverlaySpec spec, store.MountSpec(id));
  BT_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create(scratch, prefix));
  BT_ASSIGN_OR_RETURN(mount, executor::MountOverlay(spec, dir.path() + "/root"));
  parent = std::move(dir);
  return {};
}

}  // namespace

Result<TreeView> OpenView(cache::CacheRoot& root, const std::string& scratch, const Tree& tree) {
  TreeView view;
  if (const auto* local = std::get_if<LocalTree>(&tree)) {
    view.path = local->dir;
    view.excludes = local->excludes;
    // BuildKit's context transfer stores every file as 0:0 (the conformance case
    // copy-context-metadata).
    view.owners = executor::SourceOwners::kRoot;
    return view;
  }
  if (std::holds_alternative<EmptyTree>(tree)) {
    BT_ASSIGN_OR_RETURN(TempDir empty, TempDir::Create(scratch, "empty-"));
    view.path = empty.path();
    view.owned = std::move(empty);
    return view;
  }
  const std::string& id = std::get<SnapshotTree>(tree).id;
  cache::SnapshotStore& store = root.snapshots();
  BT_ASSIGN_OR_RETURN(const std::vector<std::string> chain, store.Chain(id));
  if (chain.size() == 1) {
    // A layer on scratch is its own tree (it holds no whiteouts: there is nothing below).
    view.path = store.DiffPath(id);
    return view;
  }
  if (store.kind() == cache::SnapshotterKind::kOverlay) {
    BT_TRY(MountChain(store, id, scratch, "view-", view.owned, view.mount));
    view.path = view.mount.path();
    return view;
  }
  BT_ASSIGN_OR_RETURN(TempDir flat, TempDir::Create(scratch, "flat-"));
  std::vector<std::string> diffs;
  for (const std::string& layer : chain) diffs.push_back(store.DiffPath(layer));
  BT_TRY(cache::FlattenChain(diffs, flat.path()));
  view.path = flat.path();
  view.owned = std::move(flat);
  return view;
}

Result<WritableRootfs> MountWritableRootfs(cache::CacheRoot& root, const std::string& scratch,
                                           const std::string& active_id,
                                           const std::optional<std::string>& parent) {
  cache::SnapshotStore& store = root.snapshots();
  WritableRootfs rootfs;
  if (store.kind() == cache::SnapshotterKind::kCopy) {
    rootfs.path = store.RootfsPath(active_id);
  } else if (!parent) {
    rootfs.path = store.DiffPath(active_id);  // nothing below: the upper is the tree
  } else {
    BT_TRY(MountChain(store, active_id, scratch, "rootfs-", rootfs.mount_parent, rootfs.mount));
    rootfs.path = rootfs.mount.path();
  }
  return rootfs;
}

}  // namespace bt::solver
