#include "cli/build_flags.h"

#include <cstdlib>

#include "cache/path_patterns.h"
#include "cli/source_file.h"
#include "oci/platform.h"

namespace bt::cli {

std::string DockerfilePath(const BuildFlags& flags) {
  return flags.dockerfile.empty() ? flags.context + "/Dockerfile" : flags.dockerfile;
}

std::string NamedContextSource(const std::string& name) { return "context:" + name; }

Result<frontend::LowerOptions> ToLowerOptions(const BuildFlags& flags) {
  frontend::LowerOptions options;
  options.dockerfile_name = DockerfilePath(flags);
  options.target = flags.target;
  options.build_platform = oci::HostPlatform();
  if (!flags.platform.empty()) {
    BT_ASSIGN_OR_RETURN(options.target_platform, oci::ParsePlatform(flags.platform));
  }
  for (const std::string& arg : flags.build_args) {
    const std::size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      options.build_args.emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
      continue;
    }
    if (const char* value = std::getenv(arg.c_str())) options.build_args.emplace_back(arg, value);
  }
  // BuildKit reads <Dockerfile>.dockerignore beside a Dockerfile when there is one, and
  // CONTEXT/.dockerignore otherwise (dockerui's ignore-file lookup).
  for (const std::string& path : {DockerfilePath(flags) + ".dockerignore",
                                  flags.context + "/.dockerignore"}) {
    Result<std::string> ignore = ReadSourceFile(path);
    if (!ignore && ignore.error().code == ErrorCode::kNotFound) continue;
    if (!ignore) return std::move(ignore).error();
    Result<std::vector<std::string>> lines = cache::ReadDockerignore(*ignore);
    if (!lines) return std::move(lines).error().Wrap("read " + path);
    options.dockerignore_patterns = std::move(*lines);
    break;
  }
  for (const std::string& entry : flags.build_contexts) {
    const std::size_t eq = entry.find('=');
    if (eq == 0 || eq == std::string::npos || eq + 1 == entry.size()) {
      return MakeError(ErrorCode::kInvalidArgument, "--build-context " + entry + ": must be NAME=DIR");
    }
    const std::string value = entry.substr(eq + 1);
    if (value.find("://") != std::string::npos) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--build-context " + entry + ": only local directories are supported");
    }
    const std::string name = entry.substr(0, eq);
    options.named_contexts[name] = NamedContextSource(name);
  }
  return options;
}

}  // namespace bt::cli
