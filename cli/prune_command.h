// `buildtool prune [--root DIR] [--keep-storage SIZE] [--filter until=DURATION] [--all]
// [--force]`: frees cache records least recently used first (cache/prune.h) and reports
// what it freed. It never asks for confirmation; --all and --force are accepted as in
// `docker buildx prune` (every unleased record is a candidate either way).
#pragma once

#include <string>
#include <vector>

namespace bt::cli {

struct PruneFlags {
  std::string root;
  std::string keep_storage;          // "10GB"; empty: no floor
  std::vector<std::string> filters;  // "until=24h"
  bool all = false;
  bool force = false;
};

// Returns the exit code: 0, 1 after a failure, 2 for a bad flag value.
int RunPrune(const PruneFlags& flags);

}  // namespace bt::cli
