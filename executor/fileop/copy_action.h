// ApplyCopy: one COPY/ADD action, as BuildKit's file backend docopy runs it over fsutil's
// Copy: sources found (wildcards included) in the source tree, the destination decided,
// archives unpacked for ADD, the rest handed to TreeCopier. Sources are read only inside the
// source tree and the destination written only inside the destination tree. Not thread-safe.
#pragma once

#include "base/result.h"
#include "executor/fileop/file_action_options.h"
#include "executor/fileop/file_actions.h"
#include "executor/fileop/root_dir.h"

namespace bt::executor {

// A source tree and how its owners read.
struct CopySource {
  const RootDir* root = nullptr;
  SourceOwners owners = SourceOwners::kAsStored;
};

// The rules, after docopy and fsutil's Copy/prepareTargetDir:
//  - sources: `src` (a wildcard pattern when allowed) resolved in the source tree; no match
//    is nothing to do with allow_empty_wildcard, else kNotFound "<src> not found"; a plain
//    path that is missing fails "lstat /x: no such file or directory"; --parents requires
//    the path it names to exist when neither part has wildcards;
//  - destination: `dest` ending in "/" (or "/.") is a directory and is created; otherwise its
//    parent is; an existing directory receives the source under its own name, a directory
//    source with copy_dir_contents its contents; directories made on the way get the owner
//    and are 0755 (see CopyCompat for --chmod);
//  - ADD (unpack_archive): a source that is a tar archive is extracted into `dest` instead.
Result<void> ApplyCopy(const CopySpec& spec, const CopySource& source, const RootDir& dest,
                       const FileActionOptions& options);

}  // namespace bt::executor
