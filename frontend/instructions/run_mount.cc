#include "frontend/instructions/run_mount.h"

#include <cmath>
#include <limits>
#include <vector>

#include "frontend/lowering/container_path.h"
#include "frontend/instructions/csv_fields.h"
#include "frontend/instructions/go_strconv.h"
#include "frontend/instructions/ram_size.h"
#include "frontend/instructions/suggest.h"
#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

Error MountError(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// In MountType order; MountTypeName indexes it.
const std::vector<std::string>& MountTypeNames() {
  static const std::vector<std::string> kNames = {"bind", "cache", "tmpfs", "secret", "ssh"};
  return kNames;
}

std::optional<MountType> MountTypeFromName(std::string_view name) {
  if (name == "bind") return MountType::kBind;
  if (name == "cache") return MountType::kCache;
  if (name == "tmpfs") return MountType::kTmpfs;
  if (name == "secret") return MountType::kSecret;
  if (name == "ssh") return MountType::kSsh;
  return std::nullopt;
}

std::optional<CacheSharing> SharingFromName(std::string_view name) {
  if (name == "shared") return CacheSharing::kShared;
  if (name == "private") return CacheSharing::kPrivate;
  if (name == "locked") return CacheSharing::kLocked;
  return std::nullopt;
}

std::string Quoted(std::string_view s) { return unicode::Quote(s); }

bool AllowsRequired(MountType type) {
  return type == MountType::kSecret || type == MountType::kSsh;
}

Error UnexpectedKeyForType(std::string_view key, MountType type) {
  return MountError("unexpected key '" + std::string(key) + "' for mount type '" +
                    std::string(MountTypeName(type)) + "'");
}

Result<std::optional<std::uint32_t>> ParseNumber(std::string_view value, int base,
                                                 std::string_view what) {
  std::optional<std::uint64_t> n = ParseGoUint(value, base, 32);
  if (!n) return MountError("invalid value " + std::string(value) + " for " + std::string(what));
  return std::optional<std::uint32_t>(static_cast<std::uint32_t>(*n));
}

// BuildKit's parseMount. `expand` is null for the build-time pass, which skips (defers)
// every field except `from`.
Result<RunMount> ParseMount(std::string_view spec, const WordExpander* expand) {
  Result<std::vector<std::string>> fields = SplitCsvFields(spec);
  if (!fields) return MountError("failed to parse csv mounts: " + fields.error().message);

  RunMount m;
  bool read_only_auto = true;
  for (const std::string& field : *fields) {
    const std::size_t eq = field.find('=');
    const std::string key = unicode::ToLower(std::string_view(field).substr(0, eq));
    std::string value = eq == std::string::npos ? std::string() : field.substr(eq + 1);

    if (eq == std::string::npos) {
      if (!expand) continue;  // evaluated in the dispatch-time pass
      if (key == "readonly" || key == "ro") {
        m.read_only = true;
        read_only_auto = false;
      } else if (key == "readwrite" || key == "rw") {
        m.read_only = false;
        read_only_auto = false;
      } else if (key == "required") {
        if (!AllowsRequired(m.type)) return UnexpectedKeyForType(key, m.type);
        m.required = true;
      } else {
        return MountError("invalid field '" + field + "' must be a key=value pair");
      }
      continue;
    }

    if (expand) {
      BT_ASSIGN_OR_RETURN(value, (*expand)(value));
    } else if (key == "from") {
      // Only the first `$` counts, and a last-character `$` is literal to the shell lexer.
      const std::size_t dollar = value.find('$');
      if (dollar != std::string::npos && dollar != value.size() - 1) {
        return MountError("'" + key +
                          "' doesn't support variable expansion, define alias stage instead");
      }
    } else {
      continue;
    }

    if (key == "type") {
      std::optional<MountType> type = MountTypeFromName(unicode::ToLower(value));
      if (!type) {
        return MountError(WithSuggestion("unsupported mount type " + Quoted(value), value,
                                         MountTypeNames(), SuggestCase::kSensitive));
      }
      m.type = *type;
    } else if (key == "from") {
      m.from = value;
    } else if (key == "source" || key == "src") {
      m.source = value;
    } else if (key == "target" || key == "dst" || key == "destination") {
      m.target = value;
    } else if (key == "readonly" || key == "ro" || key == "readwrite" || key == "rw") {
      std::optional<bool> b = ParseGoBool(value);
      if (!b) return MountError("invalid value for " + key + ": " + value);
      m.read_only = (key == "readonly" || key == "ro") ? *b : !*b;
      read_only_auto = false;
    } else if (key == "required") {
      if (!AllowsRequired(m.type)) return UnexpectedKeyForType(key, m.type);
      std::optional<bool> b = ParseGoBool(value);
      if (!b) return MountError("invalid value for " + key + ": " + value);
      m.required = *b;
    } else if (key == "size") {
      if (m.type != MountType::kTmpfs) return UnexpectedKeyForType(key, m.type);
      std::optional<std::int64_t> size = RamInBytes(value);
      if (!size) return MountError("invalid value for " + key + ": " + value);
      m.size_limit = *size;
    } else if (key == "id") {
      m.id = value;
    } else if (key == "sharing") {
      std::optional<CacheSharing> sharing = SharingFromName(unicode::ToLower(value));
      if (!sharing) {
        static const std::vector<std::string> kModes = {"shared", "private", "locked"};
        return MountError(WithSuggestion("unsupported sharing value " + Quoted(value), value,
                                         kModes, SuggestCase::kSensitive));
      }
      m.sharing = sharing;
    } else if (key == "mode") {
      BT_ASSIGN_OR_RETURN(m.mode, ParseNumber(value, 8, "mode"));
    } else if (key == "uid") {
      BT_ASSIGN_OR_RETURN(m.uid, ParseNumber(value, 10, "uid"));
    } else if (key == "gid") {
      BT_ASSIGN_OR_RETURN(m.gid, ParseNumber(value, 10, "gid"));
    } else if (key == "env") {
      m.env = value;
    } else {
      static const std::vector<std::string> kKeys = {
          "type",        "from", "source", "target",    "readonly", "id",  "sharing",
          "required",    "size", "mode",   "uid",       "gid",      "src", "dst",
          "destination", "ro",   "rw",     "readwrite", "env"};
      return MountError(WithSuggestion("unexpected key '" + key + "' in '" + field + "'", key,
                                       kKeys, SuggestCase::kSensitive));
    }
  }

  const bool file_info_allowed =
      m.type == MountType::kSecret || m.type == MountType::kSsh || m.type == MountType::kCache;
  if (!file_info_allowed) {
    const std::string type = Quoted(MountTypeName(m.type));
    if (m.mode) return MountError("mode not allowed for " + type + " type mounts");
    if (m.uid) return MountError("uid not allowed for " + type + " type mounts");
    if (m.gid) return MountError("gid not allowed for " + type + " type mounts");
  }
  if (read_only_auto) {
    m.read_only = !(m.type == MountType::kCache || m.type == MountType::kTmpfs);
  }
  if (m.type == MountType::kSecret) {
    if (!m.from.empty()) return MountError("secret mount should not have a from");
    if (m.sharing) return MountError("secret mount should not define sharing");
    if (m.source.empty() && m.target.empty() && m.id.empty()) {
      return MountError("invalid secret mount. one of source, target required");
    }
    if (!m.source.empty() && !m.id.empty()) return MountError("both source and id can't be set");
  }
  if (m.sharing && m.type != MountType::kCache) {
    return MountError("invalid cache sharing set for " + std::string(MountTypeName(m.type)) +
                      " mount");
  }
  return m;
}

// Go path.Base.
std::string PathBase(std::string_view p) {
  if (p.empty()) return ".";
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  if (p == "/") return "/";
  const std::size_t slash = p.rfind('/');
  return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

}  // namespace

std::string_view MountTypeName(MountType type) {
  return MountTypeNames()[static_cast<std::size_t>(type)];
}

Result<RunMount> PreparseRunMount(std::string_view spec) { return ParseMount(spec, nullptr); }

Result<RunMount> ParseRunMount(std::string_view spec, const WordExpander& expand) {
  return ParseMount(spec, &expand);
}

std::string CacheMountId(const RunMount& mount) {
  return mount.id.empty() ? CleanPath(mount.target) : mount.id;
}

Result<SecretMountSpec> ResolveSecretMount(const RunMount& mount) {
  SecretMountSpec spec;
  spec.id = !mount.source.empty() ? mount.source : mount.id;
  if (spec.id.empty()) {
    if (mount.target.empty()) return MountError("one of source, target required");
    spec.id = PathBase(mount.target);
  }
  if (!mount.target.empty()) spec.target = mount.target;
  if (!mount.env) {
    spec.target = mount.target.empty() ? "/run/secrets/" + PathBase(spec.id) : mount.target;
  }
  spec.env = mount.env;
  spec.required = mount.required;
  if (mount.uid || mount.gid || mount.mode) {
    spec.uid = mount.uid.value_or(0);
    spec.gid = mount.gid.value_or(0);
    spec.mode = mount.mode.value_or(0400);
  }
  return spec;
}

Result<SshMountSpec> ResolveSshMount(const RunMount& mount) {
  if (!mount.source.empty()) return MountError("ssh does not support source");
  SshMountSpec spec;
  spec.id = mount.id.empty() ? "default" : mount.id;
  spec.target = mount.target;
  spec.required = mount.required;
  if (mount.uid || mount.gid || mount.mode) {
    spec.uid = mount.uid.value_or(0);
    spec.gid = mount.gid.value_or(0);
    spec.mode = mount.mode.value_or(0600);
  }
  return spec;
}

Result<NetworkMode> ParseNetworkMode(std::string_view value) {
  if (value == "default") return NetworkMode::kDefault;
  if (value == "none") return NetworkMode::kNone;
  if (value == "host") return NetworkMode::kHost;
  return MountError("invalid network mode " + Quoted(value));
}

Result<SecurityMode> ParseSecurityMode(std::string_view value) {
  if (value == "sandbox") return SecurityMode::kSandbox;
  if (value == "insecure") return SecurityMode::kInsecure;
  return MountError("security " + Quoted(value) + " is not valid");
}

}  // namespace bt::frontend
