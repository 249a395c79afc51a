// Registry credentials where docker keeps them: $DOCKER_CONFIG/config.json (else
// ~/.docker/config.json) — "credHelpers" (a docker-credential-NAME helper per registry), then
// "credsStore" (one helper for all), then "auths" (base64 "user:password"). Docker Hub is
// "https://index.docker.io/v1/" there. `buildtool login` stores into the same file (through the
// credsStore helper when one is set), so docker, podman, skopeo and buildtool share logins.
// A helper is a program the config names: the name must match [A-Za-z0-9._-]+ (so it stays a
// docker-credential-* program found on PATH, never a path), and it gets a deadline and an
// output cap, past which it is killed.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace bt::oci {

struct Credentials {
  std::string username;  // kIdentityTokenUser when the secret is an identity token
  std::string secret;    // a password or an identity token
};

// The user name docker's credential helpers give for an identity token (an OAuth2 refresh
// token, exchanged at the registry's token realm), as config.json's "identitytoken" reads.
inline constexpr std::string_view kIdentityTokenUser = "<token>";

class CredentialStore {
 public:
  // The config file docker would use now (nothing is read yet).
  static CredentialStore FromEnvironment();
  explicit CredentialStore(std::string config_path) : path_(std::move(config_path)) {}

  // The credentials for `host` (a registry domain as in a reference: "docker.io",
  // "localhost:5000"); nullopt when none are configured. kInvalidArgument for a config file
  // that does not parse or a helper that answers garbage; a helper that is missing or fails
  // is kUnavailable naming it.
  Result<std::optional<Credentials>> Get(const std::string& host) const;
  // Stores (login) or removes (logout; false when there was nothing) the credentials of host.
  Result<void> Store(const std::string& host, const Credentials& credentials) const;
  Result<bool> Erase(const std::string& host) const;

  const std::string& path() const { return path_; }
  // How long a credential helper may run (default 30 s).
  void set_helper_timeout(std::chrono::milliseconds timeout) { helper_timeout_ = timeout; }

 private:
  std::string path_;
  std::chrono::milliseconds helper_timeout_{30'000};
};

// Base64 (RFC 4648, padded) of `in`: config.json's "auth" and the Basic scheme's value.
std::string Base64Encode(const std::string& in);

// The key docker uses for a registry in config.json.
std::string ConfigKeyFor(const std::string& host);

}  // namespace bt::oci
