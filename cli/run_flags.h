// The build flags about RUN steps, parsed as docker buildx parses them:
//   --secret id=ID[,src=FILE|,env=VAR][,type=file|env]   (buildx build/secrets.go)
//   --ssh ID[=SOCKET]          ("default" alone: $SSH_AUTH_SOCK)
//   --allow network.host|security.insecure
//   --network default|none|host
//   --add-host HOST:IP
//   --runtime buildtool-runtime|crun|runc|PATH
// and the check that a build's steps need no entitlement the user did not grant (BuildKit's
// error text, SECURITY.md case 13). Not thread-safe; used once per build.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "frontend/dockerfile_to_ir.h"
#include "solver/build_secrets.h"
#include "solver/ir.h"

namespace bt::cli {

struct RunFlags {
  std::vector<std::string> secrets;    // --secret
  std::vector<std::string> ssh;        // --ssh
  std::vector<std::string> allow;      // --allow
  std::string network = "default";     // --network
  std::vector<std::string> add_hosts;  // --add-host
  std::string runtime;                 // --runtime; empty: the bundled buildtool-runtime
};

// Reads every secret's value (a file or an environment variable) and locates ssh sockets.
// kInvalidArgument naming the flag for bad syntax; kNotFound for a missing file or variable.
Result<solver::BuildSecrets> LoadSecrets(const RunFlags& flags);

// Applies --network and --add-host to the lowering options. kInvalidArgument for a bad value.
Result<void> ApplyRunFlags(const RunFlags& flags, frontend::LowerOptions& options);

// kPermissionDenied ("entitlement network.host is not allowed") when a step of `definition`
// needs an entitlement --allow did not grant; --network=host grants network.host, as buildx
// does. The error carries the step's Dockerfile lines.
Result<void> CheckEntitlements(const RunFlags& flags, const ir::BuildDefinition& definition);

// The OCI runtime to run: the bundled buildtool-runtime beside this executable by default;
// a name without '/' is searched in PATH. kNotFound when it does not exist.
Result<std::string> ResolveRuntime(const RunFlags& flags);

}  // namespace bt::cli
