// SnapshotStore: snapshots on disk. A snapshot is a `diff/` directory in overlay form
// (whiteout = char device 0:0, opaque dir = trusted.overlay.opaque=y) plus its parent chain.
// Prepare makes a writable one on a parent, Commit makes it immutable; the store describes
// a snapshot's root filesystem as data (OverlaySpec) and never mounts anything itself:
// executor/ performs the mount (STYLE.md 2.9). Records (sizes, refcounts, leases) are the
// metadata DB's; this class owns only the directories.
//
// Layout under <root>/snapshots/:
//   <id>/diff/        the changes of this snapshot
//   <id>/work/        overlayfs' work directory while the snapshot is active (removed on commit)
//   <id>/parent       the parent's id and a newline; absent for a snapshot on scratch
//   <id>/committed    present once committed (written atomically); a directory without it
//                     after a crash is an abandoned active snapshot, never a result
// Ids are 12 lowercase hex digits so that a 120-layer chain's lowerdir list stays far below
// the mount-option page limit when mounted relative to <root>/snapshots (OverlaySpec::base).
//
// Thread-safety: distinct snapshots may be used from any thread or process; a given active
// snapshot belongs to one caller until it is committed or removed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bt::cache {

// What an overlay mount of a snapshot chain needs; paths are relative to `base`.
struct OverlaySpec {
  std::string base;                    // absolute: <root>/snapshots
  std::vector<std::string> lowerdirs;  // "<id>/diff", topmost first; empty on scratch
  std::string upperdir;                // "<id>/diff" of an active snapshot; empty: read-only
  std::string workdir;                 // "<id>/work" of an active snapshot
};

class SnapshotStore {
 public:
  // Creates <root>/snapshots when missing. kIo on failure.
  static Result<SnapshotStore> Open(std::string root);

  // A new active snapshot on `parent` (nullopt: on scratch). kNotFound when the parent does
  // not exist or is not committed. Returns its id.
  Result<std::string> Prepare(const std::optional<std::string>& parent);
  // Makes an active snapshot immutable. kFailedPrecondition when it is already committed.
  Result<void> Commit(const std::string& id);
  // Deletes a snapshot's directories (whatever its state). Children are the caller's concern.
  Result<void> Remove(const std::string& id);

  bool IsCommitted(const std::string& id) const;
  // The ids from `id` down to the bottom of its chain, `id` first.
  Result<std::vector<std::string>> Chain(const std::string& id) const;
  // Mount description: an active snapshot gets upper and work dirs on top of its parents; a
  // committed one is a read-only view of its chain.
  Result<OverlaySpec> MountSpec(const std::string& id) const;
  // Absolute path of a snapshot's diff directory.
  std::string DiffPath(const std::string& id) const;
  // Every snapshot directory, committed or not (for checks and garbage collection).
  Result<std::vector<std::string>> List() const;

 private:
  explicit SnapshotStore(std::string dir) : dir_(std::move(dir)) {}
  Result<std::optional<std::string>> Parent(const std::string& id) const;

  std::string dir_;  // <root>/snapshots
};

// True for a well-formed snapshot id; anything else is refused before it becomes a path.
bool IsValidSnapshotId(std::string_view id);

}  // namespace bt::cache
