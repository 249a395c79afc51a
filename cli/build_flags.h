// The build flags that `build` and `debug ir` share (-f, --build-arg, --target, --platform),
// as typed options; parsed values become a frontend::LowerOptions.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "frontend/dockerfile_to_ir.h"

namespace bt::cli {

struct BuildFlags {
  std::string context = ".";
  std::string dockerfile;  // -f; empty: CONTEXT/Dockerfile
  std::vector<std::string> build_args;  // NAME=VALUE, or NAME (taken from the environment)
  std::string target;
  std::string platform;  // empty: the host's
  std::vector<std::string> build_contexts;  // --build-context NAME=DIR
};

// The LocalSource name of --build-context NAME (distinct from the main context's "context").
std::string NamedContextSource(const std::string& name);

// The Dockerfile path the flags name.
std::string DockerfilePath(const BuildFlags& flags);

// Resolves `--build-arg NAME` from the environment (an unset NAME is dropped, as docker
// does), parses --platform, and reads CONTEXT/.dockerignore. kInvalidArgument for a bad
// platform; kIo for an unreadable .dockerignore.
Result<frontend::LowerOptions> ToLowerOptions(const BuildFlags& flags);

}  // namespace bt::cli
