// Mount stubs: the empty files and directories an OCI runtime creates in the rootfs as mount
// points for a step's mounts (/etc/hosts, /etc/resolv.conf, /etc/hostname and the RUN
// --mount targets) when they did not exist. They must not end up in the step's layer, so
// they are noted before the run and removed after it, as BuildKit's executor/stubs.go
// MountStubsCleaner does (recursively, as every LLB client asks since BuildKit sets
// RemoveMountStubsRecursive in client/llb/exec.go: the missing parents of a target go too):
// only what is still empty, only when its parent still resolves in-root to where it was (CVE-2024-23652: a step
// that swapped a parent for a symlink to the host must not make us delete host files), and
// with the parent's times restored so the layer stays reproducible. Not thread-safe; one per
// step.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "executor/fileop/root_dir.h"

namespace bt::executor {

class MountStubs {
 public:
  // Notes which of `destinations` (absolute in-root paths) do not exist in `rootfs` now.
  static Result<MountStubs> Note(const RootDir& rootfs, const std::vector<std::string>& destinations);

  // Removes the noted paths that are empty stubs now. Problems with one stub are skipped (a
  // leftover stub is harmless); only an unusable root is an error.
  Result<void> Remove(const RootDir& rootfs) const;

  const std::vector<std::string>& paths() const { return canonical_; }

 private:
  std::vector<std::string> canonical_;  // canonical in-root paths that were missing
};

}  // namespace bt::executor
