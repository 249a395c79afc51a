// BuildSecrets: what `--secret` and `--ssh` gave the build, by id. Secret values live only
// in memory: they are never written to the cache root, never part of a cache key, and reach
// a step only as a file in a private tmpfs or as an environment variable (SECURITY.md case
// 18). Filled once by cli/ before the build; read-only afterwards, so thread-safe.
#pragma once

#include <map>
#include <string>

namespace bt::solver {

struct BuildSecrets {
  std::map<std::string, std::string> values;       // --secret id=ID,src=FILE|env=VAR
  std::map<std::string, std::string> ssh_sockets;  // --ssh ID=SOCKET ("default")
};

}  // namespace bt::solver
