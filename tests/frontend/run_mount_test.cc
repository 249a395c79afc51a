// RUN --mount parsing against BuildKit: the messages and defaults of commands_runmount.go
// (parseMount), the integration expectations of dockerfile_mount_test.go (testMountInvalid,
// testMountFromError, testMountTmpfsSize, testCacheMountDefaultID, testMountEnvVar) and the
// dispatch-time defaults of convert_runmount.go, convert_secrets.go and convert_ssh.go.
// Tmpfs sizes are docker/go-units RAMInBytes results (run with Go 1.19).
#include "frontend/instructions/run_mount.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

namespace bt::frontend {
namespace {

Result<std::string> Identity(std::string_view word) { return std::string(word); }

RunMount Parsed(std::string_view spec) {
  Result<RunMount> mount = ParseRunMount(spec, Identity);
  INFO("spec: " << spec);
  if (!mount) INFO("error: " << mount.error().message);
  REQUIRE(mount.has_value());
  return *mount;
}

std::string ParseError(std::string_view spec) {
  Result<RunMount> mount = ParseRunMount(spec, Identity);
  INFO("spec: " << spec);
  REQUIRE_FALSE(mount.has_value());
  CHECK(mount.error().code == ErrorCode::kInvalidArgument);
  return mount.error().message;
}

TEST_CASE("a mount is a read-only bind unless said otherwise", "[frontend][run_mount]") {
  const RunMount m = Parsed("target=/src");
  CHECK(m.type == MountType::kBind);
  CHECK(m.target == "/src");
  CHECK(m.read_only);
  CHECK(m.from.empty());
  CHECK(m.source.empty());
}

TEST_CASE("cache and tmpfs mounts are writable by default", "[frontend][run_mount]") {
  CHECK_FALSE(Parsed("type=cache,target=/c").read_only);
  CHECK_FALSE(Parsed("type=tmpfs,target=/t").read_only);
  CHECK(Parsed("type=secret,id=s").read_only);
  CHECK(Parsed("type=ssh").read_only);
  CHECK(Parsed("type=cache,target=/c,ro").read_only);
  CHECK(Parsed("type=cache,target=/c,readonly=true").read_only);
  CHECK_FALSE(Parsed("type=bind,target=/c,rw").read_only);
  CHECK_FALSE(Parsed("target=/c,readwrite=1").read_only);
  CHECK_FALSE(Parsed("target=/c,ro=false").read_only);
}

TEST_CASE("keys have synonyms and are case-insensitive like the type", "[frontend][run_mount]") {
  const RunMount m = Parsed("TYPE=CACHE,src=/s,dst=/d,from=build,id=pip,sharing=LOCKED");
  CHECK(m.type == MountType::kCache);
  CHECK(m.source == "/s");
  CHECK(m.target == "/d");
  CHECK(m.from == "build");
  CHECK(m.id == "pip");
  CHECK(m.sharing == CacheSharing::kLocked);
  CHECK(Parsed("destination=/x,source=y").target == "/x");
  CHECK_FALSE(Parsed("type=cache,target=/c").sharing.has_value());
  CHECK(Parsed("type=cache,target=/c,sharing=private").sharing == CacheSharing::kPrivate);
  CHECK(Parsed("type=cache,target=/c,sharing=shared").sharing == CacheSharing::kShared);
}

TEST_CASE("misspelled keys and types get hints as in testMountInvalid", "[frontend][run_mount]") {
  CHECK(ParseError("typ=tmpfs") == "unexpected key 'typ' in 'typ=tmpfs' (did you mean type?)");
  CHECK(ParseError("type=tmp") == "unsupported mount type \"tmp\" (did you mean tmpfs?)");
  CHECK(ParseError("type=cache,target=/c,sharing=privat") ==
        "unsupported sharing value \"privat\" (did you mean private?)");
  CHECK(ParseError("type=volume") == "unsupported mount type \"volume\"");
}

TEST_CASE("mode uid and gid are numbers allowed on cache secret and ssh", "[frontend][run_mount]") {
  const RunMount m = Parsed("type=cache,target=/c,mode=0755,uid=1000,gid=1001");
  CHECK(m.mode == 0755u);
  CHECK(m.uid == 1000u);
  CHECK(m.gid == 1001u);
  CHECK(ParseError("type=cache,target=/c,mode=8") == "invalid value 8 for mode");
  CHECK(ParseError("type=cache,target=/c,uid=-1") == "invalid value -1 for uid");
  CHECK(ParseError("type=cache,target=/c,gid=4294967296") == "invalid value 4294967296 for gid");
  CHECK(ParseError("target=/c,mode=0755") == "mode not allowed for \"bind\" type mounts");
  CHECK(ParseError("type=tmpfs,target=/c,uid=1") == "uid not allowed for \"tmpfs\" type mounts");
  CHECK(ParseError("target=/c,gid=1") == "gid not allowed for \"bind\" type mounts");
}

TEST_CASE("tmpfs size takes go-units sizes", "[frontend][run_mount]") {
  const std::map<std::string, std::int64_t> sizes = {
      {"128m", 134217728},  // testMountTmpfsSize
      {"1g", 1073741824},
      {"1.5k", 1536},
      {"64 kb", 65536},
      {"100", 100},
      {"10b", 10},
      {"1kib", 1024},
      {"1KiB", 1024},
      {"1MB", 1048576},
      {"1_000", 1000},
      {"1e3", 1000},
      {"0x1p3k", 8192},
      {"1 ", 1},
      {"1.", 1},
      {".5", 0},
      {"5p", 5629499534213120},
      {"1 kib", 1024},
      {"1\xE2\x84\xAA", 1024},  // Kelvin sign lowers to k
      {"1e19", INT64_MIN},      // Go's int64(float64) on amd64
  };
  for (const auto& [text, bytes] : sizes) {
    INFO("size: " << text);
    CHECK(Parsed("type=tmpfs,target=/t,size=" + text).size_limit == bytes);
  }
  for (const char* text : {"1x", "-1k", "1kk", " 1", "k", "", "1e400", "1 k b"}) {
    INFO("size: " << text);
    CHECK(ParseError(std::string("type=tmpfs,target=/t,size=") + text) ==
          std::string("invalid value for size: ") + text);
  }
  CHECK(ParseError("type=cache,target=/t,size=1m") ==
        "unexpected key 'size' for mount type 'cache'");
  // The type must come first: until then the mount is a bind.
  CHECK(ParseError("size=1m,type=tmpfs") == "unexpected key 'size' for mount type 'bind'");
}

TEST_CASE("required is for secret and ssh mounts only", "[frontend][run_mount]") {
  CHECK(Parsed("type=secret,id=s,required").required);
  CHECK(Parsed("type=ssh,required=true").required);
  CHECK_FALSE(Parsed("type=secret,id=s,required=false").required);
  CHECK(ParseError("type=cache,target=/c,required") ==
        "unexpected key 'required' for mount type 'cache'");
  CHECK(ParseError("required,type=secret,id=s") ==
        "unexpected key 'required' for mount type 'bind'");
  CHECK(ParseError("type=secret,id=s,required=maybe") == "invalid value for required: maybe");
}

TEST_CASE("secret mounts are validated as BuildKit does", "[frontend][run_mount]") {
  const RunMount m = Parsed("type=secret,id=token,env=TOKEN");
  CHECK(m.env == std::optional<std::string>("TOKEN"));
  CHECK(ParseError("type=secret,id=s,from=x") == "secret mount should not have a from");
  CHECK(ParseError("type=secret,id=s,sharing=locked") == "secret mount should not define sharing");
  CHECK(ParseError("type=secret") == "invalid secret mount. one of source, target required");
  CHECK(ParseError("type=secret,source=a,id=b") == "both source and id can't be set");
  CHECK(ParseError("target=/x,sharing=locked") == "invalid cache sharing set for bind mount");
}

TEST_CASE("fields without a value and bad booleans are errors", "[frontend][run_mount]") {
  CHECK(ParseError("type=cache,target=/c,foo") == "invalid field 'foo' must be a key=value pair");
  CHECK(ParseError("target=/c,ro=maybe") == "invalid value for ro: maybe");
  CHECK(ParseError("target=/c,rw=maybe") == "invalid value for rw: maybe");
  CHECK(ParseError("\"target=/c") ==
        "failed to parse csv mounts: parse error on line 1, "
        "column 2: extraneous or missing \" in quoted-field");
}

TEST_CASE("only values are expanded and an expander error stops parsing", "[frontend][run_mount]") {
  // testMountEnvVar: target=$SOME_PATH.
  const WordExpander expand = [](std::string_view word) -> Result<std::string> {
    if (word == "$SOME_PATH") return std::string("/mycache");
    if (word == "$T") return std::string("cache");
    if (word == "$BAD") return MakeError(ErrorCode::kInvalidArgument, "bad substitution");
    return std::string(word);
  };
  Result<RunMount> m = ParseRunMount("type=$T,target=$SOME_PATH", expand);
  REQUIRE(m.has_value());
  CHECK(m->type == MountType::kCache);
  CHECK(m->target == "/mycache");
  Result<RunMount> bad = ParseRunMount("type=cache,target=$BAD", expand);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message == "bad substitution");
}

TEST_CASE("the build-time pass checks only csv and from", "[frontend][run_mount]") {
  // Everything but `from` may hold variables, so it is left for the dispatch-time pass.
  Result<RunMount> deferred = PreparseRunMount("typ=tmpfs,mode=zzz,foo,target=$X");
  REQUIRE(deferred.has_value());
  CHECK(deferred->type == MountType::kBind);
  CHECK(deferred->target.empty());

  Result<RunMount> from = PreparseRunMount("type=cache,from=build$,target=/c");
  REQUIRE(from.has_value());
  CHECK(from->from == "build$");

  // testMountFromError: `from=$ttt`.
  Result<RunMount> variable = PreparseRunMount("from=$ttt,type=cache,target=/tmp");
  REQUIRE_FALSE(variable.has_value());
  CHECK(variable.error().message ==
        "'from' doesn't support variable expansion, define alias stage instead");

  Result<RunMount> csv = PreparseRunMount("");
  REQUIRE_FALSE(csv.has_value());
  CHECK(csv.error().message == "failed to parse csv mounts: EOF");
}

TEST_CASE("a cache mount's id defaults to its cleaned target", "[frontend][run_mount]") {
  // testCacheMountDefaultID: the same target shares a cache, another target does not.
  CHECK(CacheMountId(Parsed("type=cache,target=/mycache")) == "/mycache");
  CHECK(CacheMountId(Parsed("type=cache,target=/mycache/")) == "/mycache");
  CHECK(CacheMountId(Parsed("type=cache,target=/a/../mycache2")) == "/mycache2");
  CHECK(CacheMountId(Parsed("type=cache,target=/c,id=pip")) == "pip");
}

TEST_CASE("secret mounts resolve their id and target as dispatchSecret does",
          "[frontend][run_mount]") {
  Result<SecretMountSpec> by_id = ResolveSecretMount(Parsed("type=secret,id=mysecret"));
  REQUIRE(by_id.has_value());
  CHECK(by_id->id == "mysecret");
  CHECK(by_id->target == std::optional<std::string>("/run/secrets/mysecret"));
  CHECK_FALSE(by_id->mode.has_value());

  Result<SecretMountSpec> by_target = ResolveSecretMount(Parsed("type=secret,target=/etc/a.key"));
  REQUIRE(by_target.has_value());
  CHECK(by_target->id == "a.key");
  CHECK(by_target->target == std::optional<std::string>("/etc/a.key"));

  Result<SecretMountSpec> source = ResolveSecretMount(Parsed("type=secret,source=s,target=/t"));
  REQUIRE(source.has_value());
  CHECK(source->id == "s");

  Result<SecretMountSpec> env_only = ResolveSecretMount(Parsed("type=secret,id=tok,env=TOKEN"));
  REQUIRE(env_only.has_value());
  CHECK_FALSE(env_only->target.has_value());
  CHECK(env_only->env == std::optional<std::string>("TOKEN"));

  Result<SecretMountSpec> owned = ResolveSecretMount(Parsed("type=secret,id=s,uid=1000"));
  REQUIRE(owned.has_value());
  CHECK(owned->uid == 1000u);
  CHECK(owned->gid == 0u);
  CHECK(owned->mode == 0400u);

  RunMount nameless;
  nameless.type = MountType::kSecret;
  Result<SecretMountSpec> none = ResolveSecretMount(nameless);
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().message == "one of source, target required");
}

TEST_CASE("ssh mounts resolve as dispatchSSH does", "[frontend][run_mount]") {
  Result<SshMountSpec> plain = ResolveSshMount(Parsed("type=ssh"));
  REQUIRE(plain.has_value());
  CHECK(plain->id == "default");
  CHECK(plain->target.empty());
  CHECK_FALSE(plain->mode.has_value());

  Result<SshMountSpec> owned = ResolveSshMount(Parsed("type=ssh,id=gh,target=/s,gid=5"));
  REQUIRE(owned.has_value());
  CHECK(owned->id == "gh");
  CHECK(owned->target == "/s");
  CHECK(owned->mode == 0600u);
  CHECK(owned->gid == 5u);

  Result<SshMountSpec> source = ResolveSshMount(Parsed("type=ssh,source=x"));
  REQUIRE_FALSE(source.has_value());
  CHECK(source.error().message == "ssh does not support source");
}

TEST_CASE("network and security take only BuildKit's values", "[frontend][run_mount]") {
  CHECK(ParseNetworkMode("default").value() == NetworkMode::kDefault);
  CHECK(ParseNetworkMode("none").value() == NetworkMode::kNone);
  CHECK(ParseNetworkMode("host").value() == NetworkMode::kHost);
  Result<NetworkMode> bridge = ParseNetworkMode("bridge");
  REQUIRE_FALSE(bridge.has_value());
  CHECK(bridge.error().message == "invalid network mode \"bridge\"");
  CHECK_FALSE(ParseNetworkMode("Host").has_value());

  CHECK(ParseSecurityMode("sandbox").value() == SecurityMode::kSandbox);
  CHECK(ParseSecurityMode("insecure").value() == SecurityMode::kInsecure);
  Result<SecurityMode> other = ParseSecurityMode("privileged");
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().message == "security \"privileged\" is not valid");
}

}  // namespace
}  // namespace bt::frontend
