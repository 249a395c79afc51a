#include "oci/credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

extern char** environ;

namespace bt::oci {
namespace {

constexpr std::size_t kMaxHelperOutput = 64 * 1024;

}  // namespace

std::string Base64Encode(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

namespace {

std::optional<std::string> Unbase64(const std::string& in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out(in.size() / 4 * 3 + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (!in.empty() && in.back() == '=') --len;
  if (in.size() > 1 && in[in.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

Result<nlohmann::json> ReadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nlohmann::json::object();  // no file: no credentials
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (!j.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, path + ": not a JSON object");
  }
  return j;
}

// Whether a helper name is one docker would run: docker-credential-NAME on PATH, never a
// path ("../../tmp/evil") or an option.
bool ValidHelperName(const std::string& name) {
  if (name.empty() || name.size() > 128 || name[0] == '-' || name == "." || name == "..") return false;
  for (unsigned char c : name) {
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

// Runs docker-credential-NAME ACTION with `input` on stdin; its stdout. A helper that runs
// past `timeout` or prints more than kMaxHelperOutput is killed, and that is an error. Error
// messages quote a failing helper's output only when it cannot hold the secret.
Result<std::string> RunHelper(const std::string& name, const std::string& action,
                              const std::string& input, std::chrono::milliseconds timeout) {
  if (!ValidHelperName(name)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "credential helper name \"" + name.substr(0, 100) +
                         "\" is not a program name ([A-Za-z0-9._-]+)");
  }
  const std::string program = "docker-credential-" + name;
  int to_child[2], from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0) return ErrnoError("pipe", program, errno);
  if (::pipe2(from_child, O_CLOEXEC) != 0) {
    ::close(to_child[0]);
    ::close(to_child[1]);
    return ErrnoError("pipe", program, errno);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
  char* argv[] = {const_cast<char*>(program.c_str()), const_cast<char*>(action.c_str()), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(to_child[0]);
  ::close(from_child[1]);
  if (rc != 0) {
    ::close(to_child[1]);
    ::close(from_child[0]);
    return MakeError(ErrorCode::kUnavailable, "run the credential helper " + program + ": " + std::strerror(rc));
  }
  // The input is a host name or a small JSON: far below a pipe's buffer. A helper that exits
  // without reading it must not kill buildtool with SIGPIPE: the signal is blocked in this
  // thread for the write, and a pending one is taken back before it is unblocked.
  {
    sigset_t pipe_only, previous;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
    const ssize_t written = ::write(to_child[1], input.data(), input.size());
    if (written < 0 && errno == EPIPE) {
      const timespec now{0, 0};
      while (::sigtimedwait(&pipe_only, nullptr, &now) < 0 && errno == EINTR) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }
  ::close(to_child[1]);
  std::string out;
  std::string trouble;  // why the helper was killed
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      trouble = "ran longer than " + std::to_string(timeout.count()) + " ms";
      break;
    }
    pollfd pfd{from_child[0], POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) {
      trouble = std::string("poll: ") + std::strerror(errno);
      break;
    }
    if (ready <= 0) continue;
    const ssize_t n = ::read(from_child[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > kMaxHelperOutput) {
      trouble = "printed more than " + std::to_string(kMaxHelperOutput) + " bytes";
      break;
    }
  }
  ::close(from_child[0]);
  if (!trouble.empty()) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!trouble.empty()) {
    return MakeError(ErrorCode::kUnavailable, program + " " + action + " " + trouble + ": killed");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const bool quotable = out.find("Secret") == std::string::npos && out.find("secret") == std::string::npos;
    return MakeError(ErrorCode::kUnavailable, program + " " + action + " failed" +
                                                  (quotable ? ": " + out.substr(0, 200) : std::string()));
  }
  return out;
}

Result<std::optional<Credentials>> FromHelper(const std::string& helper, const std::string& key,
                                              std::chrono::milliseconds timeout) {
  Result<std::string> out = RunHelper(helper, "get", key, timeout);
  if (!out) {
    // Helpers say "credentials not found" with a failure: no credentials, not an error.
    if (out.error().message.find("credentials not found") != std::string::npos) {
      return std::optional<Credentials>();
    }
    return std::move(out).error();
  }
  const nlohmann::json j = nlohmann::json::parse(*out, nullptr, false);
  if (!j.is_object() || !j.contains("Username") || !j.contains("Secret") ||
      !j["Username"].is_string() || !j["Secret"].is_string()) {
    return MakeError(ErrorCode::kInvalidArgument, "docker-credential-" + helper + ": answer without Username and Secret");
  }
  return std::optional<Credentials>(Credentials{j["Username"].get<std::string>(), j["Secret"].get<std::string>()});
}

// Written whole and renamed, readable by its owner only: it holds passwords.
Result<void> WriteConfig(const std::string& path, const nlohmann::json& config) {
  const std::string dir = path.substr(0, path.rfind('/'));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoError("mkdir", dir, errno);
  const std::string temp = path + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ErrnoError("open", temp, errno);
  const std::string text = config.dump(1, '\t') + "\n";
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int err = errno;
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size()) || !synced) {
    ::unlink(temp.c_str());
    return ErrnoError("write", temp, n < 0 ? err : EIO);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) return ErrnoError("rename", temp, errno);
  return {};
}

}  // namespace

std::string ConfigKeyFor(const std::string& host) {
  return host == "docker.io" ? "https://index.docker.io/v1/" : host;
}

CredentialStore CredentialStore::FromEnvironment() {
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir != nullptr && *dir != '\0') {
    return CredentialStore(std::string(dir) + "/config.json");
  }
  const char* home = std::getenv("HOME");
  return CredentialStore(std::string(home != nullptr ? home : "/root") + "/.docker/config.json");
}

Result<std::optional<Credentials>> CredentialStore::Get(const std::string& host) const {
  BT_ASSIGN_OR_RETURN(const nlohmann::json config, ReadConfig(path_));
  const std::string key = ConfigKeyFor(host);
  if (config.contains("credHelpers") && config["credHelpers"].is_object() &&
      config["credHelpers"].contains(key) && config["credHelpers"][key].is_string()) {
    return FromHelper(config["credHelpers"][key].get<std::string>(), key, helper_timeout_);
  }
  if (config.contains("credsStore") && config["credsStore"].is_string() &&
      !config["credsStore"].get<std::string>().empty()) {
    return FromHelper(config["credsStore"].get<std::string>(), key, helper_timeout_);
  }
  if (config.contains("auths") && config["auths"].is_object() && config["auths"].contains(key)) {
    const nlohmann::json& entry = config["auths"][key];
    // docker login keeps "auth" (the user, no password) beside an identity token: the token
    // is the credential.
    if (entry.is_object() && entry.contains("identitytoken") && entry["identitytoken"].is_string() &&
        !entry["identitytoken"].get<std::string>().empty()) {
      return std::optional<Credentials>(
          Credentials{std::string(kIdentityTokenUser), entry["identitytoken"].get<std::string>()});
    }
    if (entry.is_object() && entry.contains("auth") && entry["auth"].is_string()) {
      const std::optional<std::string> plain = Unbase64(entry["auth"].get<std::string>());
      const std::size_t colon = plain ? plain->find(':') : std::string::npos;
      if (colon == std::string::npos) {
        return MakeError(ErrorCode::kInvalidArgument, path_ + ": auths[" + key + "].auth is not base64 of user:password");
      }
      return std::optional<Credentials>(Credentials{plain->substr(0, colon), plain->substr(colon + 1)});
    }
  }
  return std::optional<Credentials>();
}

Result<void> CredentialStore::Store(const std::string& host, const Credentials& credentials) const {
  BT_ASSIGN_OR_RETURN(nlohmann::json config, ReadConfig(path_));
  const std::string key = ConfigKeyFor(host);
  if (config.contains("credsStore") && config["credsStore"].is_string() &&
      !config["credsStore"].get<std::string>().empty()) {
    const nlohmann::json input = {{"ServerURL", key}, {"Username", credentials.username},
                                  {"Secret", credentials.secret}};
    BT_TRY(RunHelper(config["credsStore"].get<std::string>(), "store", input.dump(), helper_timeout_));
    return {};
  }
  config["auths"][key] = {{"auth", Base64Encode(credentials.username + ":" + credentials.secret)}};
  return WriteConfig(path_, config);
}

Result<bool> CredentialStore::Erase(const std::string& host) const {
  BT_ASSIGN_OR_RETURN(nlohmann::json config, ReadConfig(path_));
  const std::string key = ConfigKeyFor(host);
  if (config.contains("credsStore") && config["credsStore"].is_string() &&
      !config["credsStore"].get<std::string>().empty()) {
    BT_TRY(RunHelper(config["credsStore"].get<std::string>(), "erase", key, helper_timeout_));
    return true;
  }
  if (!config.contains("auths") || !config["auths"].is_object() || !config["auths"].contains(key)) {
    return false;
  }
  config["auths"].erase(key);
  BT_TRY(WriteConfig(path_, config));
  return true;
}

}  // namespace bt::oci
