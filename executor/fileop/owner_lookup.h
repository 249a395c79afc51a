// Owner lookup for --chown and the owner of WORKDIR/mkdir: names are read from /etc/passwd
// and /etc/group of the destination tree, opened in-root (a symlinked /etc cannot make us
// read the host's), as BuildKit's solver/llbsolver/ops/user_linux.go readUser does: files
// over 10 MiB are refused, a missing or unreadable-as-directory file counts as "no entry",
// the first line with the name wins, numeric fields that do not parse read as 0 (moby/sys/user
// parseLine); reading and parsing live in account_files.h, shared with a RUN step's user.
// Stateless; thread-safe as far as the tree is not being written.
#pragma once

#include <optional>

#include "base/result.h"
#include "executor/fileop/file_action_options.h"
#include "executor/fileop/file_actions.h"
#include "executor/fileop/root_dir.h"

namespace bt::executor {

// The uid/gid an Owner means in `root`; nullopt when there is no owner. kInvalidArgument
// for an /etc/passwd or /etc/group that is not a regular file or is too large.
Result<std::optional<UidGid>> ResolveOwner(const std::optional<Owner>& owner, const RootDir& root,
                                           UnknownOwnerName unknown);

}  // namespace bt::executor
