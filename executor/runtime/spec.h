// The subset of the OCI runtime-spec (config.json, 1.x) that buildtool-runtime implements, as
// typed data. ParseSpec is strict: a field this runtime does not implement is an error that
// names the field (e.g. `linux.intelRdt`), never silently ignored; only pure metadata
// (ociVersion, annotations) and fields set to their empty value pass. Values are validated
// as far as is possible without touching the system (names of capabilities, rlimits and
// namespaces, seccomp actions); mount options, sysctls and the files of joined namespaces are
// checked when the plan is made.
// Plain data; no thread-safety concerns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace bt::executor::runtime {

// Bit n set = capability number n (CAP_CHOWN = bit 0), as in /proc/self/status.
struct CapabilitySets {
  std::uint64_t bounding = 0;
  std::uint64_t effective = 0;
  std::uint64_t permitted = 0;
  std::uint64_t inheritable = 0;
  std::uint64_t ambient = 0;
};

struct Rlimit {
  int resource = 0;  // RLIMIT_* number
  std::string name;  // as written, "RLIMIT_NOFILE"
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};

struct User {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::optional<std::uint32_t> umask;  // unset: 0022, as runc
  std::vector<std::uint32_t> additional_gids;
};

struct Process {
  std::vector<std::string> args;  // never empty
  std::vector<std::string> env;   // "K=V", passed as is
  std::string cwd;                // absolute
  User user;
  CapabilitySets capabilities;  // an absent `capabilities` object means every set empty
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
};

struct Mount {
  std::string destination;  // absolute inside the container
  std::string type;         // "bind" for bind mounts (also when only the options say bind)
  std::string source;
  std::vector<std::string> options;
};

enum class NamespaceKind { kMount, kPid, kUts, kIpc, kNetwork, kUser, kCgroup };

// A namespace the container joins instead of creating it (`linux.namespaces[i].path`). Only
// network, uts and ipc namespaces can be joined; ParseSpec refuses a path for the others.
struct JoinedNamespace {
  NamespaceKind kind = NamespaceKind::kNetwork;
  std::string path;   // absolute, in the runtime's mount namespace: an nsfs file
  std::string field;  // "linux.namespaces[4].path", for errors
};

struct IdMapping {
  std::uint32_t container_id = 0;
  std::uint32_t host_id = 0;
  std::uint32_t size = 0;
};

struct Device {
  std::string path;  // absolute inside the container
  char type = 'c';   // 'c' (also 'u'), 'b' or 'p'
  std::int64_t major = 0;
  std::int64_t minor = 0;
  std::uint32_t file_mode = 0666;  // permission bits only
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

enum class SeccompAction { kKillThread, kKillProcess, kTrap, kErrno, kTrace, kAllow, kLog };
enum class SeccompOp {
  kNotEqual,
  kLess,
  kLessEqual,
  kEqual,
  kGreaterEqual,
  kGreater,
  kMaskedEqual
};

struct SeccompArg {
  unsigned index = 0;  // 0..5
  std::uint64_t value = 0;
  std::uint64_t value_two = 0;
  SeccompOp op = SeccompOp::kEqual;
};

struct SeccompRule {
  std::vector<std::string> names;
  SeccompAction action = SeccompAction::kAllow;
  std::optional<std::uint32_t> errno_ret;
  std::vector<SeccompArg> args;
  std::string field;  // "linux.seccomp.syscalls[3]", for errors
};

struct Seccomp {
  SeccompAction default_action = SeccompAction::kAllow;
  std::optional<std::uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // "SCMP_ARCH_X86_64", ...
  std::vector<std::string> flags;          // "SECCOMP_FILTER_FLAG_LOG", ...
  std::vector<SeccompRule> syscalls;
};

// Rules of the device cgroup (linux.resources.devices), in order.
struct DeviceRule {
  bool allow = false;
  char type = 'a';                    // 'a', 'c' or 'b'
  std::optional<std::int64_t> major;  // unset: any
  std::optional<std::int64_t> minor;
  std::string access;  // subset of "rwm"
};

struct Resources {
  std::optional<std::int64_t> pids_limit;  // <= 0 means unlimited, as runc
  std::vector<DeviceRule> devices;
};

struct Linux {
  std::vector<NamespaceKind> namespaces;  // every kind listed, joined or new
  std::vector<JoinedNamespace> joined_namespaces;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  std::vector<Device> devices;
  std::vector<std::pair<std::string, std::string>> sysctl;  // sorted by key
  std::optional<Seccomp> seccomp;
  std::string rootfs_propagation;  // "" = rslave, as runc
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string cgroups_path;
  std::optional<Resources> resources;

  bool Has(NamespaceKind kind) const;
};

struct Spec {
  Process process;
  std::string root_path;  // as written: absolute, or relative to the bundle
  bool root_readonly = false;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  Linux linux;
};

// Parses config.json text. kInvalidArgument naming the field (`process.capabilities.bounding[2]`)
// for malformed JSON, a wrong type, an unknown or unimplemented field, or a bad value.
Result<Spec> ParseSpec(std::string_view json_text);

}  // namespace bt::executor::runtime
