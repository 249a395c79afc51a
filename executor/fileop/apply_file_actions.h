// ApplyFileActions: runs a FileOp's actions (COPY/ADD, mkdir, mkfile, rm, symlink) in order
// on one writable directory tree, the mounted rootfs of the step, with BuildKit's semantics
// (solver/llbsolver/file/backend.go over tonistiigi/fsutil's copy). The caller owns the trees
// and must not change them during the call. Not thread-safe for one destination.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "cache/path_patterns.h"
#include "executor/fileop/file_action_options.h"
#include "executor/fileop/file_actions.h"

namespace bt::executor {

// A tree copies read from: a build context, another stage's rootfs, an image.
struct SourceTree {
  std::string path;  // a plain directory on the host
  SourceOwners owners = SourceOwners::kAsStored;
  // Paths of the tree that copies must not see (a build context's .dockerignore), or null.
  const cache::PathPatterns* excludes = nullptr;
};

// Source trees are read while the destination is written: none may be the destination or
// lie inside it (BuildKit mounts each input apart; a copy into its own source would recurse).
struct FileActionTrees {
  std::string dest;                  // the tree the actions change
  std::vector<SourceTree> sources;   // CopySpec::source indexes this; kScratch is empty
};

// Every destination path is resolved inside the destination tree and every source path
// inside its source tree, through symlinks already there (SECURITY.md cases 19-23): nothing
// is read from or written to outside them, and errors name the paths the Dockerfile shows,
// never host paths. On error the destination holds what the actions before the failing one
// (and part of that one) did, and should be discarded.
// Errors: kNotFound (a source or an rm target that is missing, an unknown owner name under
// UnknownOwnerName::kError), kInvalidArgument (a malformed pattern or mode, a hostile archive,
// a source index out of range), kFailedPrecondition (a file where a directory must be, or
// the other way round), kAlreadyExists (symlink over an existing path), kPermissionDenied and
// kIo (a system call failed). Each error is wrapped with the action it comes from.
Result<void> ApplyFileActions(const FileActionTrees& trees, std::span<const FileActionSpec> actions,
                              const FileActionOptions& options);

}  // namespace bt::executor
