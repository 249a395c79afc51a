#include "cli/build_flags.h"

#include <cstdlib>

#include "cli/source_file.h"
#include "oci/platform.h"

namespace bt::cli {

std::string DockerfilePath(const BuildFlags& flags) {
  return flags.dockerfile.empty() ? flags.context + "/Dockerfile" : flags.dockerfile;
}

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
  Result<std::string> ignore = ReadSourceFile(flags.context + "/.dockerignore");
  if (!ignore && ignore.error().code != ErrorCode::kNotFound) return std::move(ignore).error();
  if (ignore) {
    // .dockerignore lines: comments and blank lines dropped, surrounding spaces trimmed.
    std::size_t pos = 0;
    while (pos <= ignore->size()) {
      std::size_t nl = ignore->find('\n', pos);
      if (nl == std::string::npos) nl = ignore->size();
      std::string line = ignore->substr(pos, nl - pos);
      pos = nl + 1;
      const std::size_t first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;
      line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
      options.dockerignore_patterns.push_back(std::move(line));
    }
  }
  return options;
}

}  // namespace bt::cli
