#include "cli/run_flags.h"

#include <arpa/inet.h>
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "solver/ir_overloaded.h"

namespace bt::cli {
namespace {

Error Invalid(std::string message) { return MakeError(ErrorCode::kInvalidArgument, std::move(message)); }

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string field; std::getline(in, field, ',');) out.push_back(field);
  return out;
}

bool Allowed(const RunFlags& flags, const std::string& entitlement) {
  for (const std::string& a : flags.allow) {
    for (const std::string& e : SplitCommas(a)) {
      if (e == entitlement) return true;
    }
  }
  return entitlement == "network.host" && flags.network == "host";
}

}  // namespace

Result<solver::BuildSecrets> LoadSecrets(const RunFlags& flags) {
  solver::BuildSecrets secrets;
  for (const std::string& flag : flags.secrets) {
    std::string id, src, env, type;
    for (const std::string& field : SplitCommas(flag)) {
      const std::size_t eq = field.find('=');
      const std::string key = field.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : field.substr(eq + 1);
      if (eq == std::string::npos) return Invalid("--secret " + flag + ": field \"" + field + "\" must be KEY=VALUE");
      if (key == "id") id = value;
      else if (key == "src" || key == "source") src = value;
      else if (key == "env") env = value;
      else if (key == "type") type = value;
      else return Invalid("--secret " + flag + ": unexpected key \"" + key + "\"");
    }
    if (type != "" && type != "file" && type != "env") {
      return Invalid("--secret " + flag + ": unsupported secret type \"" + type + "\"");
    }
    if (id.empty()) return Invalid("--secret " + flag + ": id is required");
    // buildx: with neither src nor env, the id names the environment variable or the file.
    if (src.empty() && env.empty()) (type == "file" ? src : env) = id;
    if (type == "file" && src.empty()) src = id;
    if (!src.empty() && type != "env") {
      std::ifstream in(src, std::ios::binary);
      if (!in) return MakeError(ErrorCode::kNotFound, "--secret id=" + id + ": cannot read " + src);
      std::stringstream data;
      data << in.rdbuf();
      secrets.values[id] = data.str();
    } else {
      const char* value = std::getenv(env.c_str());
      if (value == nullptr) {
        // buildx falls back to a file of that name when the variable is unset.
        std::ifstream in(env, std::ios::binary);
        if (!in) return MakeError(ErrorCode::kNotFound, "--secret id=" + id + ": environment variable " + env + " is not set");
        std::stringstream data;
        data << in.rdbuf();
        secrets.values[id] = data.str();
      } else {
        secrets.values[id] = value;
      }
    }
  }
  for (const std::string& flag : flags.ssh) {
    const std::size_t eq = flag.find('=');
    const std::string id = flag.substr(0, eq);
    std::string socket = eq == std::string::npos ? "" : flag.substr(eq + 1);
    if (id.empty()) return Invalid("--ssh " + flag + ": an id is required");
    if (socket.empty()) {
      const char* agent = std::getenv("SSH_AUTH_SOCK");
      if (agent == nullptr || *agent == '\0') {
        return Invalid("--ssh " + flag + ": SSH_AUTH_SOCK is not set (give ID=SOCKET)");
      }
      socket = agent;
    }
    if (socket.find(',') != std::string::npos) {
      return Invalid("--ssh " + flag + ": only one agent socket per id is supported, not key files");
    }
    if (::access(socket.c_str(), F_OK) != 0) {
      return MakeError(ErrorCode::kNotFound, "--ssh " + id + ": " + socket + " does not exist");
    }
    secrets.ssh_sockets[id] = socket;
  }
  return secrets;
}

Result<void> ApplyRunFlags(const RunFlags& flags, frontend::LowerOptions& options) {
  if (flags.network == "default" || flags.network.empty()) {
    options.default_network = ir::NetMode::kSandbox;
  } else if (flags.network == "none") {
    options.default_network = ir::NetMode::kNone;
  } else if (flags.network == "host") {
    options.default_network = ir::NetMode::kHost;
  } else {
    return Invalid("--network " + flags.network + ": must be default, none or host");
  }
  for (const std::string& entry : flags.add_hosts) {
    // docker's HOST:IP; the IP may be IPv6 and hold colons, the host may not.
    const std::size_t colon = entry.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == entry.size()) {
      return Invalid("--add-host " + entry + ": must be HOST:IP");
    }
    // BuildKit parses the address (net.ParseIP) and writes its canonical form.
    const std::string ip = entry.substr(colon + 1);
    unsigned char addr[16];
    char text[INET6_ADDRSTRLEN];
    const int family = ip.find(':') == std::string::npos ? AF_INET : AF_INET6;
    if (::inet_pton(family, ip.c_str(), addr) != 1 || ::inet_ntop(family, addr, text, sizeof text) == nullptr) {
      return Invalid("--add-host " + entry + ": invalid IP address \"" + ip + "\"");
    }
    options.extra_hosts.push_back({entry.substr(0, colon), text});
  }
  return {};
}

Result<void> CheckEntitlements(const RunFlags& flags, const ir::BuildDefinition& definition) {
  for (ir::VertexId v = 0; v < definition.graph.size(); ++v) {
    const auto* exec = std::get_if<ir::ExecOp>(&definition.graph.op(v).body);
    if (exec == nullptr) continue;
    std::string needed;
    if (exec->security == ir::SecurityMode::kInsecure && !Allowed(flags, "security.insecure")) {
      needed = "security.insecure";
    } else if (exec->network == ir::NetMode::kHost && !Allowed(flags, "network.host")) {
      needed = "network.host";
    }
    if (needed.empty()) continue;
    Error e = MakeError(ErrorCode::kPermissionDenied, "entitlement " + needed + " is not allowed");
    const auto meta = definition.metadata.find(definition.graph.digest(v));
    if (meta != definition.metadata.end()) {
      e.where = meta->second.location;
      e = std::move(e).Wrap(meta->second.description);
    }
    return e;
  }
  return {};
}

Result<std::string> ResolveRuntime(const RunFlags& flags) {
  if (!flags.runtime.empty() && flags.runtime != "buildtool-runtime") {
    if (flags.runtime.find('/') != std::string::npos) {
      if (::access(flags.runtime.c_str(), X_OK) != 0) {
        return MakeError(ErrorCode::kNotFound, "--runtime " + flags.runtime + ": not an executable");
      }
      return flags.runtime;
    }
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
      const std::string candidate = (dir.empty() ? "." : dir) + "/" + flags.runtime;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return MakeError(ErrorCode::kNotFound, "--runtime " + flags.runtime + ": not found in PATH");
  }
  // Beside this executable: as the kernel names it, else as it was started (the kernel's
  // name can be a path from outside a chroot that was entered through a bind mount).
  std::vector<std::string> candidates;
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) candidates.emplace_back(self, static_cast<std::size_t>(n));
  if (char* started = ::realpath(program_invocation_name, nullptr)) {
    candidates.emplace_back(started);
    ::free(started);
  }
  for (std::string dir : candidates) {
    dir.resize(dir.rfind('/'));
    const std::string bundled = dir + "/buildtool-runtime";
    if (::access(bundled.c_str(), X_OK) == 0) return bundled;
  }
  return MakeError(ErrorCode::kNotFound,
                   "the bundled runtime buildtool-runtime is missing beside " +
                       (candidates.empty() ? std::string("buildtool") : candidates.front()) +
                       " (it is installed with it)");
}

}  // namespace bt::cli
