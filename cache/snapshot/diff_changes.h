// The changes a snapshot's diff/ directory holds, read back from its overlay form: what the
// exporter turns into a layer tarball (and what `debug` views show). A whiteout (char device
// 0:0) is a deletion; a directory with trusted.overlay.opaque=y replaces the lower one; every
// other entry is written as it is. Pure reads; thread-safe.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

#include "base/result.h"

namespace bt::cache {

enum class ChangeKind {
  kWrite,      // the entry as it is in the diff (added or modified)
  kDelete,     // a whiteout: the path is removed from the lower layers
  kOpaqueDir,  // a directory that hides everything below it in the lower layers
};

struct Change {
  std::string path;  // relative, '/'-separated, no leading slash: "usr/bin/sh"
  ChangeKind kind = ChangeKind::kWrite;
  struct stat st {};  // lstat of the entry in the diff (for kDelete: the whiteout's)
};

// Every change under diff_dir, in the order a layer tarball lists them: a directory before
// its children, siblings by byte order of their names. Symlinks are reported, never followed.
// kIo with the path on a failed read.
Result<std::vector<Change>> ListChanges(const std::string& diff_dir);

}  // namespace bt::cache
