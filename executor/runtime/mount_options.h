// The options of one config.json mount, split by what consumes them: per-mount attributes
// (ro, nosuid, nodev, noexec, atime), applied with the new mount API (fsmount and
// mount_setattr); propagation (rshared, rslave, ...); and filesystem data (size=, mode=,
// newinstance), passed key by key to fsconfig. Every option must be known for the mount's
// type: an unknown option, or one this runtime does not implement (sync, idmap, ...), is an
// error naming mounts[i].options[j], never passed on blindly. Pure parsing; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "executor/runtime/spec.h"

namespace bt::executor::runtime {

struct MountOptions {
  unsigned attr_set = 0;          // MOUNT_ATTR_* to set
  unsigned attr_clr = 0;          // MOUNT_ATTR_* to clear (includes MOUNT_ATTR__ATIME when an atime
                                  // mode is chosen, as mount_setattr requires)
  bool recursive = false;         // rbind
  unsigned long propagation = 0;  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [| MS_REC]
  // Filesystem options in order; an empty value means a flag ("newinstance").
  std::vector<std::pair<std::string, std::string>> data;

  bool read_only() const;
  // True when any attribute was asked for (set or clear), so a bind needs a mount_setattr.
  bool changes_attributes() const { return attr_set != 0 || attr_clr != 0; }
};

// Parses the options of `mount` (whose type ParseSpec normalised: "bind" for every bind).
// `field` is "mounts[i]". kInvalidArgument naming the option for anything unknown, not
// implemented, or not meaningful for the type (data options on a bind).
Result<MountOptions> ParseMountOptions(const Mount& mount, const std::string& field);

}  // namespace bt::executor::runtime
