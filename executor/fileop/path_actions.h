// The file actions that make or remove one path: mkdir (WORKDIR too), mkfile (heredoc
// files), rm and symlink, as BuildKit's solver/llbsolver/file/backend.go runs them, with
// paths resolved in the destination tree only and owners looked up there as for COPY. Not
// thread-safe.
#pragma once

#include "base/result.h"
#include "executor/fileop/file_action_options.h"
#include "executor/fileop/file_actions.h"
#include "executor/fileop/root_dir.h"

namespace bt::executor {

// Rules shared with backend.go:
//  - the path is resolved in-root following symlinks, the last one included, so
//    `mkdir /x` where /x -> /y makes /y (inside the tree) and a link to "/" or "../.." never
//    leads outside; rm resolves only the parent and removes a final symlink itself;
//  - mkdir without make_parents succeeds on anything already there; with it, existing
//    directories are left as they are and the missing ones get mode, owner and time;
//  - mkfile truncates and rewrites an existing file (keeping its mode), creates a new one
//    with `mode`; it refuses to write into a directory, device or fifo;
//  - rm fails on a missing path unless allow_not_found; with allow_wildcard the pattern is
//    resolved first and no match removes nothing;
//  - symlink fails when something already has that name.
Result<void> ApplyMkdir(const MkdirSpec& spec, const RootDir& dest, const FileActionOptions& options);
Result<void> ApplyMkfile(const MkfileSpec& spec, const RootDir& dest, const FileActionOptions& options);
Result<void> ApplyRm(const RmSpec& spec, const RootDir& dest);
Result<void> ApplySymlink(const SymlinkSpec& spec, const RootDir& dest, const FileActionOptions& options);

}  // namespace bt::executor
