// RUN's `--mount=type=cache,target=/root/.cache,...` values, parsed and checked as BuildKit's
// parseMount does (frontend/dockerfile/instructions/commands_runmount.go). Parsing happens
// twice, as in BuildKit: when the instruction is built only the CSV syntax and `from` are
// checked (the other values may hold variables); once the dispatcher can expand variables,
// the whole value is parsed and validated. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "frontend/instructions/word_expander.h"

namespace bt::frontend {

enum class MountType { kBind, kCache, kTmpfs, kSecret, kSsh };
enum class CacheSharing { kShared, kPrivate, kLocked };

// BuildKit's instructions.Mount. Field values are as written after expansion; defaults that
// depend on the stage (cache id, secret id and target, ssh id) are filled by the Resolve*
// functions below, at dispatch time, exactly where BuildKit fills them.
struct RunMount {
  MountType type = MountType::kBind;
  std::string from;    // stage name, index or image; empty: the build context (bind) or scratch
  std::string source;  // `source`/`src`: path inside `from`, or the secret id
  std::string target;  // `target`/`dst`/`destination`; may be relative to WORKDIR
  // `ro`/`readonly`/`rw`/`readwrite`; when none is given: false for cache and tmpfs, true
  // for the others.
  bool read_only = true;
  std::int64_t size_limit = 0;  // tmpfs `size` in bytes (units as docker/go-units RAMInBytes)
  std::string id;               // `id`: cache id, secret id or ssh id
  std::optional<CacheSharing> sharing;  // unset: shared
  bool required = false;                // secret and ssh only
  std::optional<std::string> env;       // secret only: expose as this env variable
  std::optional<std::uint32_t> mode;    // octal; cache, secret and ssh only
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
};

// "bind", "cache", ... as BuildKit spells the type in messages.
std::string_view MountTypeName(MountType type);

// The build-time pass (BuildKit's runMountPostHook, parseMount with a nil expander): checks
// the CSV syntax and that `from` holds no `$` except as its last character, and returns a
// mount whose only meaningful field is `from` (the dispatcher needs it to order stages).
Result<RunMount> PreparseRunMount(std::string_view spec);

// The dispatch-time pass (RunCommand.Expand): every `key=value` value goes through `expand`,
// then the mount is validated. Errors are the expander's, or kInvalidArgument with
// BuildKit's words, e.g. `unexpected key 'typ' in 'typ=cache' (did you mean type?)`,
// `unsupported mount type "tmp" (did you mean tmpfs?)`, `mode not allowed for "bind" type
// mounts`, `invalid secret mount. one of source, target required`.
Result<RunMount> ParseRunMount(std::string_view spec, const WordExpander& expand);

// The id of a cache mount: `id`, else the cleaned target (dispatchRunMounts).
std::string CacheMountId(const RunMount& mount);

// What a secret mount asks for once BuildKit's defaults are applied (dispatchSecret).
struct SecretMountSpec {
  std::string id;  // `source`, else `id`, else the base name of `target`
  // Where the file appears: `target`, else /run/secrets/<base name of id>; unset when the
  // secret is only exposed through `env` without a target.
  std::optional<std::string> target;
  std::optional<std::string> env;
  bool required = false;
  // Set when any of uid, gid, mode was given: the missing ones default to 0, 0 and 0400.
  std::optional<std::uint32_t> uid, gid, mode;
};
// kInvalidArgument "one of source, target required" when there is no way to name the secret.
Result<SecretMountSpec> ResolveSecretMount(const RunMount& mount);

// What an ssh mount asks for (dispatchSSH).
struct SshMountSpec {
  std::string id;      // `id`, else "default"
  std::string target;  // empty: the executor's default socket path
  bool required = false;
  // Set when any of uid, gid, mode was given: the missing ones default to 0, 0 and 0600.
  std::optional<std::uint32_t> uid, gid, mode;
};
// kInvalidArgument "ssh does not support source" when `source` is set.
Result<SshMountSpec> ResolveSshMount(const RunMount& mount);

// RUN --network (commands_runnetwork.go); default when the flag is absent.
enum class NetworkMode { kDefault, kNone, kHost };
// Exactly "default", "none" or "host"; else kInvalidArgument `invalid network mode "x"`.
Result<NetworkMode> ParseNetworkMode(std::string_view value);

// RUN --security (commands_runsecurity.go); sandbox when the flag is absent.
enum class SecurityMode { kSandbox, kInsecure };
// Exactly "sandbox" or "insecure"; else kInvalidArgument `security "x" is not valid`.
Result<SecurityMode> ParseSecurityMode(std::string_view value);

}  // namespace bt::frontend
