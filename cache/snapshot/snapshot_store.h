// SnapshotStore: snapshots on disk. A snapshot is a `diff/` directory in overlay form
// (whiteout = char device 0:0, opaque dir = trusted.overlay.opaque=y) plus its parent chain.
// Prepare makes a writable one on a parent, Commit makes it immutable; the store describes
// a snapshot's root filesystem as data (OverlaySpec, BindSpec) and never mounts anything
// itself: executor/ performs the mount (STYLE.md 2.9). Records (sizes, refcounts, leases) are
// the metadata DB's; this class owns only the directories.
//
// Two snapshotters share that one committed format and differ only while a snapshot is
// active. kOverlay: the active snapshot's diff/ is overlayfs' upper dir. kCopy, for hosts
// where overlayfs is missing or cannot be mounted (ProbeOverlayfs): the active snapshot is a
// plain directory, rootfs/, holding a copy of the flattened parent chain that a process
// changes in place, and Commit writes the overlay-form difference into diff/ (as
// containerd's native snapshotter plus a diff, but stored as overlay-form diffs so that layer
// export, diff listing and chains stay the same).
//
// Layout under <root>/snapshots/:
//   <id>/diff/        the changes of this snapshot
//   <id>/work/        kOverlay: overlayfs' work directory while active (removed on commit)
//   <id>/rootfs/      kCopy: the active snapshot's whole tree (removed on commit)
//   <id>/lower/       kCopy, during Commit: the parent chain flattened again, compared with
//                     rootfs/; <id>/diff.new/ receives the result, then replaces the empty
//                     diff/, and rootfs/ is renamed to <id>/rootfs.old/ and deleted. All
//                     three are scratch that a later Commit or Remove deletes.
//   <id>/parent       the parent's id and a newline; absent for a snapshot on scratch
//   <id>/committed    present once committed (written atomically); a directory without it
//                     after a crash is an abandoned active snapshot, never a result
// Ids are 12 lowercase hex digits so that a 120-layer chain's lowerdir list stays far below
// the mount-option page limit when mounted relative to <root>/snapshots (OverlaySpec::base).
// What an active snapshot is follows from its directory (rootfs/ or not), not from the kind
// the store was opened with, so processes with different kinds can share a root.
//
// Thread-safety: distinct snapshots may be used from any thread or process; a given active
// snapshot belongs to one caller until it is committed or removed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace bt::cache {

// How active snapshots are made (see the header comment).
enum class SnapshotterKind {
  kOverlay,  // active: an overlayfs upper and work dir; needs overlayfs and mount rights
  kCopy,     // active: a plain copy in rootfs/, diffed on commit; needs neither
};

// What the caller of Prepare will do with the snapshot.
enum class PrepareFor {
  kRootfs,  // a process changes it as its root filesystem (a RUN step, a file operation)
  kDiff,    // the caller writes overlay-form changes straight into DiffPath (layer apply):
            // kCopy then skips copying the parent chain into rootfs/
};

// What an overlay mount of a snapshot chain needs; paths are relative to `base`.
struct OverlaySpec {
  std::string base;                    // absolute: <root>/snapshots
  std::vector<std::string> lowerdirs;  // "<id>/diff", topmost first; empty on scratch
  std::string upperdir;                // "<id>/diff" of an active snapshot; empty: read-only
  std::string workdir;                 // "<id>/work" of an active snapshot
};

// A directory to bind-mount read-write as the root filesystem: an active kCopy snapshot.
struct BindSpec {
  std::string source;  // absolute: <root>/snapshots/<id>/rootfs
};

using RootfsSpec = std::variant<OverlaySpec, BindSpec>;

class SnapshotStore {
 public:
  // Creates <root>/snapshots when missing. kIo on failure.
  static Result<SnapshotStore> Open(std::string root,
                                    SnapshotterKind kind = SnapshotterKind::kOverlay);

  // A new active snapshot on `parent` (nullopt: on scratch). kNotFound when the parent does
  // not exist or is not committed. Returns its id. kCopy with kRootfs copies the parent chain
  // into rootfs/ (FlattenChain's errors; the half-made snapshot is removed).
  Result<std::string> Prepare(const std::optional<std::string>& parent,
                              PrepareFor purpose = PrepareFor::kRootfs);
  // Makes an active snapshot immutable. kFailedPrecondition when it is already committed.
  // A kCopy snapshot's rootfs/ is first compared with its flattened parent and the changes
  // written to diff/ (WriteRootfsDiff's errors); kFailedPrecondition when diff/ was also
  // written directly. A failed Commit leaves the snapshot active with rootfs/ intact.
  Result<void> Commit(const std::string& id);
  // Deletes a snapshot's directories (whatever its state). Children are the caller's concern.
  Result<void> Remove(const std::string& id);

  bool IsCommitted(const std::string& id) const;
  // The ids from `id` down to the bottom of its chain, `id` first.
  Result<std::vector<std::string>> Chain(const std::string& id) const;
  // Overlay mount description: an active snapshot gets upper and work dirs on top of its
  // parents; a committed one is a read-only view of its chain. kFailedPrecondition for an
  // active snapshot without a work dir (kCopy's: use RootfsMount).
  Result<OverlaySpec> MountSpec(const std::string& id) const;
  // How to give a process the snapshot as its root filesystem, whichever snapshotter made
  // it: an active kCopy snapshot is a BindSpec of its rootfs/, an active kOverlay one and,
  // in a kOverlay store, a committed one are OverlaySpecs. kFailedPrecondition for a
  // committed snapshot in a kCopy store (no directory holds its tree: Prepare a child) and
  // for one prepared with PrepareFor::kDiff in kCopy (it has no root filesystem).
  Result<RootfsSpec> RootfsMount(const std::string& id) const;
  // Absolute path of a snapshot's diff directory.
  std::string DiffPath(const std::string& id) const;
  // Absolute path of a kCopy active snapshot's rootfs directory (absent otherwise).
  std::string RootfsPath(const std::string& id) const;
  // Every snapshot directory, committed or not (for checks and garbage collection).
  Result<std::vector<std::string>> List() const;

  SnapshotterKind kind() const { return kind_; }

 private:
  SnapshotStore(std::string dir, SnapshotterKind kind) : dir_(std::move(dir)), kind_(kind) {}
  Result<std::optional<std::string>> Parent(const std::string& id) const;
  // Prepare's work inside the new snapshot's directory (diff/, work/, parent, rootfs/).
  Result<void> PrepareDirectory(const std::string& id, const std::optional<std::string>& parent,
                                PrepareFor purpose);
  Result<void> MakeRootfs(const std::string& id, const std::optional<std::string>& parent);
  Result<void> FlattenParentChain(const std::string& parent, const std::string& dest) const;
  Result<void> CommitRootfs(const std::string& id);
  bool Exists(const std::string& id, const char* entry) const;

  std::string dir_;  // <root>/snapshots
  SnapshotterKind kind_;
};

// True for a well-formed snapshot id; anything else is refused before it becomes a path.
bool IsValidSnapshotId(std::string_view id);

// Whether overlayfs works here the way the executor uses it.
struct OverlayfsProbe {
  bool works = false;
  std::string reason;  // why not, for logs; empty when it works
};

// Checks that /proc/filesystems lists overlay, then, in a forked child that unshares its
// mount namespace and makes every mount private, mounts an overlay of two lowers in a
// temporary directory below `scratch_dir` (which should be on the snapshots' filesystem:
// the upper dir's filesystem decides whether overlayfs accepts it), reads through it,
// creates a file and deletes a lower one (a whiteout). The mount dies with the child's
// namespace, so nothing is left mounted, and a chroot, where "/" is no mount point and
// cannot be made private, is a "no" rather than a mount leaking into the host. kIo only
// when the temporary directory or the child cannot be made; every other failure is a "no"
// with its reason. Pick SnapshotterKind::kCopy when it says no.
Result<OverlayfsProbe> ProbeOverlayfs(const std::string& scratch_dir);

}  // namespace bt::cache
