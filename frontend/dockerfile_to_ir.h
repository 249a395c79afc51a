// LowerDockerfile: from a parsed Dockerfile to the IR (solver/ir.h) and the image config of
// the target stage, with BuildKit's semantics (frontend/dockerfile/dockerfile2llb): stages by
// name and index, ARG/ENV scoping, build args, platform args, ONBUILD triggers, and only the
// stages the target needs. Nothing is executed; base images are asked of an ImageResolver.
// Not thread-safe per call (the resolver is used from the calling thread only).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "frontend/parser/ast.h"
#include "oci/image_resolver.h"
#include "oci/platform.h"
#include "solver/ir.h"

namespace bt::frontend {

struct LowerOptions {
  std::string dockerfile_name = "Dockerfile";  // for locations in errors and metadata
  // --build-arg NAME=VALUE, in command-line order (NAME alone is resolved by cli/ from its
  // environment before this point). A later NAME overrides an earlier one.
  std::vector<std::pair<std::string, std::string>> build_args;
  std::string target;  // --target; empty: the last stage
  oci::Platform build_platform;                  // the machine's platform
  std::optional<oci::Platform> target_platform;  // --platform; absent: the build platform
  std::string context_name = "context";          // the LocalSource of the main context
  std::vector<std::string> dockerignore_patterns;  // the context's .dockerignore lines
  // --network: the network of every RUN that does not choose one itself (BuildKit's
  // force-network-mode); --add-host HOST:IP entries for every RUN's /etc/hosts.
  ir::NetMode default_network = ir::NetMode::kSandbox;
  std::vector<ir::ExtraHost> extra_hosts;
  // --build-context NAME=DIR: FROM NAME, COPY --from=NAME and RUN --mount from=NAME read the
  // directory given as the LocalSource named here (NAME -> LocalSource name), with an empty
  // image config, as buildx does for a local named context; it wins over a stage's base
  // image of the same name.
  std::map<std::string, std::string> named_contexts;
};

struct LoweredBuild {
  ir::BuildDefinition definition;
  std::vector<Warning> warnings;  // e.g. build args that no stage uses
};

// Errors carry `where` (file and lines) when a Dockerfile line is at fault: kInvalidArgument
// for bad instructions, unknown stages, cycles, bad platforms; the resolver's code (kNotFound,
// kUnavailable) for base images, with the FROM line attached.
Result<LoweredBuild> LowerDockerfile(const Ast& ast, const LowerOptions& options,
                                     oci::ImageResolver& resolver);

}  // namespace bt::frontend
