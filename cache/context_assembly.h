// What the context walk (cache/context_walk.h) found, directory by directory, and how it
// becomes a ContextTree's nodes. The walk's tasks fill these records in any order; assembly
// then runs on one thread in one fixed order (depth first, a directory before its children,
// children by name), so the nodes, their order, every checksum and the error reported
// never depend on thread timing. Internal to bt_cache.
#pragma once

#include <dirent.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "cache/context_scanner.h"

namespace bt::cache {

struct ScannedDir;

// One directory entry, as the task scanning its directory found it. Written by that task,
// then (directories) by the task of the directory it names, then read by assembly.
struct ScannedEntry {
  ContextNode node;  // name always; the rest when present; directories' checksums by assembly
  unsigned char d_type = DT_UNKNOWN;  // from the directory listing
  bool present = false;  // false: left out (excluded, not included, vanished, no such type)
  std::unique_ptr<Error> error;     // why the entry could not be read
  std::unique_ptr<ScannedDir> dir;  // present directories: what is inside
};

// A directory to walk, and what its task found in it.
struct ScannedDir {
  std::string rel;  // relative path; "" for the root
  dev_t dev = 0;    // the identity the parent's fstatat saw, which the opened fd must have
  ino_t ino = 0;
  bool excluded = false;  // the directory itself is excluded (entered for exceptions)
  bool included = true;   // the directory is included, and so is everything below it
  std::vector<ScannedEntry> entries;  // in name order
  std::unique_ptr<Error> error;       // the directory could not be opened or listed
  uint32_t present = 0;               // present entries; set by assembly
};

// The nodes of the tree `top` (the context root) holds, the root first; moves the nodes out
// of it. The first error in tree order, if any. Directories that were entered only for what
// might be inside them (excluded, or not included) and hold nothing are left out, as fsutil
// reports such parents lazily.
Result<std::vector<ContextNode>> AssembleNodes(ScannedDir* top);

}  // namespace bt::cache
