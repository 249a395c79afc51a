// Bind mounts for a RUN step's mounts, made in the build's private mount namespace
// (overlay_mount.h) at mount points in the build's scratch directory; the OCI runtime then
// binds those into the container.
//
// BindInRoot is how any `source=` subpath of a tree is exposed (a bind from a stage or the
// context, a cache mount's subdirectory): the path is resolved in-root, the result opened
// without following any symlink, and the bind made from that open fd (/proc/self/fd/N), so a
// path swapped for a symlink after the resolution cannot redirect the mount to the host
// (CVE-2024-23651, BuildKit's executor/oci/spec_linux.go sub(); SECURITY.md case 9).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "executor/mount/overlay_mount.h"

namespace bt::executor {

// Binds `path` (in-root inside `root`; "" or "/" for the root itself) at `mount_point`,
// created as a directory or an empty file to match. kNotFound when the path does not exist,
// naming it as seen inside the tree.
Result<MountedTree> BindInRoot(const std::string& root, std::string_view path,
                               const std::string& mount_point);

// A fresh tmpfs at `mount_point` (created), nosuid and nodev, with `mode` for its root and at
// most `size_bytes`.
Result<MountedTree> MountTmpfs(const std::string& mount_point, std::uint32_t mode,
                               std::uint64_t size_bytes);

}  // namespace bt::executor
