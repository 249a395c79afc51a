// The state of one stage while it is dispatched (BuildKit's dispatchState): the image config
// being built, the environment and working directory a RUN sees, and the IR edge of the
// stage's filesystem so far. Internal to the frontend's lowering.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "frontend/lowering/env_list.h"
#include "frontend/instructions/instructions.h"
#include "oci/image_config.h"
#include "oci/platform.h"
#include "solver/ir.h"

namespace bt::frontend {

struct StageState {
  bool dispatched = false;
  oci::ImageConfig image;            // the config so far, history included
  oci::Platform platform;
  std::optional<ir::Edge> rootfs;    // absent: an empty tree (scratch)
  EnvList env;                       // what a RUN sees: the image Env plus ARG values
  std::string workdir = "/";         // the state's working directory
  std::string user;                  // the state's user
  std::vector<ArgDefinition> build_args;  // ARGs declared in the stage, with their values
  std::vector<std::string> pending_onbuild;  // triggers to run right after FROM
  bool cmd_set = false;       // CMD was given in this stage (ENTRYPOINT keeps it then)
  bool workdir_set = false;
};

// BuildKit's emptyImage: the config of `FROM scratch`.
oci::ImageConfig EmptyImage(const oci::Platform& platform);

// addEnv: replaces NAME in place in a config's Env, or appends it.
void SetConfigEnv(oci::ContainerConfig& config, const std::string& name, const std::string& value);

// commitToHistory: one history entry; `layer` says whether the step produced a layer.
enum class HistoryLayer { kEmpty, kLayer };
void AddHistory(oci::ImageConfig& image, std::string created_by, HistoryLayer layer);

}  // namespace bt::frontend
