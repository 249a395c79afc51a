// `buildtool build`: parse and lower the Dockerfile, solve it on the cache root with live
// progress, and write the requested outputs. Exit codes: 0 built, 1 failed (the error shows
// the Dockerfile lines of the failing step), 2 bad usage, 130 interrupted (SIGINT/SIGTERM).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "cli/build_flags.h"
#include "cli/run_flags.h"

namespace bt::cli {

struct BuildCommandFlags {
  BuildFlags build;                          // context, -f, --build-arg, --target, --platform
  std::vector<std::string> tags;             // -t NAME[:TAG]
  std::vector<std::string> outputs;          // -o / --output
  std::vector<std::string> labels;           // --label KEY=VALUE: on the image config
  bool quiet = false;                        // -q: no progress; only the image digest
  std::string iidfile;                       // --iidfile: the image digest, written there
  std::string metadata_file;                 // --metadata-file: the build's result as JSON
  bool pull = false;                         // --pull: base images from the registry always
  bool push = false;                         // --push: the image to the -t names' registries
  std::vector<std::string> insecure_registries;  // --insecure-registry HOST[:PORT]: plain HTTP
  std::string progress = "auto";             // --progress
  bool no_cache = false;                     // --no-cache
  std::vector<std::string> no_cache_filter;  // --no-cache-filter STAGE
  std::size_t jobs = 0;                      // --jobs: steps at once; 0: the number of CPUs
  std::string root;                          // --root
  std::string snapshotter = "auto";          // --snapshotter auto|overlayfs|copy
  RunFlags run;                              // --secret --ssh --allow --network --add-host --runtime
};

int RunBuild(const BuildCommandFlags& flags);

}  // namespace bt::cli
