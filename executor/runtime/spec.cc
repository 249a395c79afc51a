#include "executor/runtime/spec.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <set>

#include "executor/runtime/json_fields.h"
#include "executor/runtime/kernel_names.h"

namespace bt::executor::runtime {
namespace {

using nlohmann::json;

bool IsAbsolute(std::string_view path) { return !path.empty() && path.front() == '/'; }

Result<std::uint64_t> ReadCapabilityList(const json& value, const std::string& path) {
  BT_ASSIGN_OR_RETURN(const std::vector<std::string> names, ReadStringArray(value, path));
  std::uint64_t mask = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::optional<int> number = CapabilityNumber(names[i]);
    // crun >= 1.29 refuses unknown names too (SECURITY.md A16): a typo must not silently
    // grant less, or more, than the config says.
    if (!number) return FieldError(ItemPath(path, i), "unknown capability \"" + names[i] + "\"");
    mask |= std::uint64_t{1} << *number;
  }
  return mask;
}

Result<CapabilitySets> ReadCapabilities(const json& value, const std::string& path) {
  BT_ASSIGN_OR_RETURN(JsonObject o, JsonObject::Of(value, path));
  CapabilitySets sets;
  const std::array<std::pair<const char*, std::uint64_t*>, 5> fields = {{
      {"bounding", &sets.bounding},
      {"effective", &sets.effective},
      {"permitted", &sets.permitted},
      {"inheritable", &sets.inheritable},
      {"ambient", &sets.ambient},
  }};
  for (const auto& [key, out] : fields) {
    if (const json* v = o.Find(key)) {
      BT_ASSIGN_OR_RETURN(*out, ReadCapabilityList(*v, o.Path(key)));
    }
  }
  BT_TRY(o.Finish());
  return sets;
}

Result<User> ReadUser(const json& value, const std::string& path) {
  BT_ASSIGN_OR_RETURN(JsonObject o, JsonObject::Of(value, path));
  User user;
  if (const json* v = o.Find("uid")) {
    BT_ASSIGN_OR_RETURN(user.uid, ReadUint32(*v, o.Path("uid")));
  }
  if (const json* v = o.Find("gid")) {
    BT_ASSIGN_OR_RETURN(user.gid, ReadUint32(*v, o.Path("gid")));
  }
  if (const json* v = o.Find("umask")) {
    BT_ASSIGN_OR_RETURN(const std::uint32_t umask, ReadUint32(*v, o.Path("umask")));
    if (umask > 0777) return FieldError(o.Path("umask"), "must be at most 0777 (511)");
    user.umask = umask;
  }
  if (const json* v = o.Find("additionalGids")) {
    const std::string p = o.Path("additionalGids");
    BT_TRY(ExpectArray(*v, p));
    for (std::size_t i = 0; i < v->size(); ++i) {
      BT_ASSIGN_OR_RETURN(const std::uint32_t gid, ReadUint32((*v)[i], ItemPath(p, i)));
      user.additional_gids.push_back(gid);
    }
  }
  BT_TRY(o.Unimplemented("username", "Windows only"));
  BT_TRY(o.Finish());
  return user;
}

Result<std::vector<Rlimit>> ReadRlimits(const json& value, const std::string& path) {
  BT_TRY(ExpectArray(value, path));
  std::vector<Rlimit> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string item = ItemPath(path, i);
    BT_ASSIGN_OR_RETURN(JsonObject o, JsonObject::Of(value[i], item));
    Rlimit limit;
    const json* type = o.Find("type");
    const json* hard = o.Find("hard");
    const json* soft = o.Find("soft");
    if (type == nullptr || hard == nullptr || soft == nullptr) {
      return FieldError(item, "needs type, soft and hard");
    }
    BT_ASSIGN_OR_RETURN(limit.name, ReadString(*type, o.Path("type")));
    const std::optional<int> resource = RlimitNumber(limit.name);
    if (!resource) return FieldError(o.Path("type"), "unknown rlimit \"" + limit.name + "\"");
    limit.resource = *resource;
    BT_ASSIGN_OR_RETURN(limit.hard, ReadUint64(*hard, o.Path("hard")));
    BT_ASSIGN_OR_RETURN(limit.soft, ReadUint64(*soft, o.Path("soft")));
    if (limit.soft > limit.hard) return FieldError(item, "soft limit exceeds the hard limit");
    for (const Rlimit& earlier : out) {
      if (earlier.resource == limit.resource) {
        return FieldError(o.Path("type"), limit.name + " appears twice");
      }
    }
    BT_TRY(o.Finish());
    out.push_back(std::move(limit));
  }
  return out;
}

Result<Process> ReadProcess(const json& value) {
  BT_ASSIGN_OR_RETURN(JsonObject o, JsonObject::Of(value, "process"));
  Process p;
  if (const json* v = o.Find("terminal")) {
    BT_ASSIGN_OR_RETURN(const bool terminal, ReadBool(*v, o.Path("terminal")));
    if (terminal) {
      return FieldError(o.Path("terminal"), "a terminal is not implemented by buildtool-runtime");
    }
  }
  BT_TRY(o.Unimplemented("consoleSize", "needs a terminal"));
  if (const json* v = o.Find("user")) {
    BT_ASSIGN_OR_RETURN(p.user, ReadUser(*v, o.Path("user")));
  }
  const json* args = o.Find("args");
  if (args == nullptr) return FieldError(o.Path("args"), "is required");
  BT_ASSIGN_OR_RETURN(p.args, ReadStringArray(*args, o.Path("args")));
  if (p.args.empty()) return FieldError(o.Path("args"), "must name the program to run");
  BT_TRY(o.Unimplemented("commandLine", "Windows only"));
  if (const json* v = o.Find("env")) {
    BT_ASSIGN_OR_RETURN(p.env, ReadStringArray(*v, o.Path("env")));
    for (std::size_t i = 0; i < p.env.size(); ++i) {
      const std::size_t eq = p.env[i].find('=');
      if (eq == std::string::npos || eq == 0) {
        return FieldError(ItemPath(o.Path("env"), i), "must be NAME=VALUE with a non-empty name");
      }
    }
  }
  const json* cwd = o.Find("cwd");
  if (cwd == nullptr) return FieldError(o.Path("cwd"), "is required");
  BT_ASSIGN_OR_RETURN(p.cwd, ReadString(*cwd, o.Path("cwd")));
  if (!IsAbsolute(p.cwd)) return FieldError(o.Path("cwd"), "must be an absolute path");
  if (const json* v = o.Find("capabilities")) {
    BT_ASSIGN_OR_RETURN(p.capabilities, ReadCapabilities(*v, o.Path("capabilities")));
  }
  if (const json* v = o.Find("rlimits")) {
    BT_ASSIGN_OR_RETURN(p.rlimits, ReadRlimits(*v, o.Path("rlimits")));
  }
  if (const json* v = o.Find("noNewPrivileges")) {
    BT_ASSIGN_OR_RETURN(p.no_new_privileges, ReadBool(*v, o.Path("noNewPrivileges")));
  }
  if (const json* v = o.Find("oomScoreAdj")) {
    BT_ASSIGN_OR_RETURN(const int adj, ReadInt(*v, o.Path("oomScoreAdj")));
    if (adj < -1000 || adj > 1000) {
      return FieldError(o.Path("oomScoreAdj"), "must be in -1000..1000");
    }
    p.oom_score_adj = adj;
  }
  BT_TRY(o.Unimplemented("apparmorProfile", "AppArmor"));
  BT_TRY(o.Unimplemented("selinuxLabel", "SELinux"));
  BT_TRY(o.Unimplemented("scheduler", "scheduling policies"));
  BT_TRY(o.Unimplemented("ioPriority", "I/O priorities"));
  BT_TRY(o.Unimplemented("execCPUAffinity", "CPU affinity"));
  BT_TRY(o.Finish());
  return p;
}

Result<std::vector<Mount>> ReadMounts(const json& value) {
  BT_TRY(ExpectArray(value, "mounts"));
  std::vector<Mount> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string item = ItemPath("mounts", i);
    BT_ASSIGN_OR_RETURN(JsonObject o, JsonObject::Of(value[i], item));
    Mount m;
    const json* dest = o.Find("destination");
    if (dest == nullptr) return FieldError(o.Path("destination"), "is required");
    BT_ASSIGN_OR_RETURN(m.destination, ReadString(*dest, o.Path("destination")));
    if (!IsAbsolute(m.destination)) {
      return FieldError(o.Path("destination"), "must be an absolute path");
    }
    if (const json* v = o.Find("type")) {
      BT_ASSIGN_OR_RETURN(m.type, ReadString(*v, o.Path("type")));
    }
    if (const json* v = o.Find("source")) {
      BT_ASSIGN_OR_RETURN(m.source, ReadString(*v, o.Path("source")));
    }
    if (const json* v = o.Find("options")) {
      BT_ASSIGN_OR_RETURN(m.options, ReadStringArray(*v, o.Path("options")));
    }
    BT_TRY(o.Unimplemented("uidMappings", "id-mapped mounts"));
    BT_TRY(o.Unimplemented("gidMappings", "id-mapped mounts"));
    BT_TRY(o.Finish());
    // As runc (specconv): a "bind" or "rbind" option makes any mount a bind mount.
    const bool bind_option =
        std::any_of(m.options.begin(), m.options.end(),
                    [](const std::string& opt) { return opt == "bind" || opt == "rbind"; });
    if (bind_option) {
      if (!m.type.empty() && m.type != "bind" && m.type != "none") {
        return FieldError(o.Path("type"), "\"" + m.type + "\" contradicts the bind option");
      }
      m.type = "bind";
    }
    if (m.type.empty()) return FieldError(o.Path("type"), "is required unless the mount is a bind");
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<IdMapping>> ReadIdMappings(const json& value, const std::string& path) {
  BT_TRY(ExpectArray(value, path));
  std::vector<IdMapping> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string item = ItemPath(path, i);
    BT_ASSIGN_OR_RETURN(JsonObject o, JsonObject::Of(value[i], item));
    IdMapping m;
    const json* c = o.Find("containerID");
    const json* h = o.Find("hostID");
    const json* s = o.Find("size");
    if (c == nullptr || h == nullptr || s == nullptr) {
      return FieldError(item, "needs containerID, hostID and size");
    }
    BT_ASSIGN_OR_RETURN(m.container_id, ReadUint32(*c, o.Path("containerID")));
    BT_ASSIGN_OR_RETURN(m.host_id, ReadUint32(*h, o.Path("hostID")));
    BT_ASSIGN_OR_RETURN(m.size, ReadUint32(*s, o.Path("size")));
    if (m.size == 0) return FieldError(o.Path("size"), "must be positive");
    BT_TRY(o.Finish());
    out.push_back(m);
  }
  return out;
}

Result<void> ReadNamespaces(const json& value, const std::string& path, Linux* linux) {
  BT_TRY(ExpectArray(value, path));
  static constexpr std::array<std::pair<std::string_view, NamespaceKind>, 7> kKinds = {{
      {"mount", NamespaceKind::kMount},
      {"pid", NamespaceKind::kPid},
      {"uts", NamespaceKind::kUts},
      {"ipc", NamespaceKind::kIpc},
      {"network", NamespaceKind::kNetwork},
      {"user", NamespaceKind::kUser},
      {"cgroup", NamespaceKind::kCgroup},
  }};
  std::vector<NamespaceKind>& out = linux->namespaces;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string item = ItemPath(path, i);
    BT_ASSIGN_OR_RETURN(JsonObject o, JsonObject::Of(value[i], item));
    const json* type = o.Find("type");
    if (type == nullptr) return FieldError(o.Path("type"), "is required");
    BT_ASSIGN_OR_RETURN(const std::string name, ReadString(*type, o.Path("type")));
    std::string ns_path;
    if (const json* p = o.Find("path")) {
      BT_ASSIGN_OR_RETURN(ns_path, ReadString(*p, o.Path("path")));
    }
    BT_TRY(o.Finish());
    const auto it =
        std::find_if(kKinds.begin(), kKinds.end(), [&](const auto& k) { return k.first == name; });
    if (it == kKinds.end()) {
      return FieldError(
          o.Path("type"),
          "namespace \"" + name + "\" is unknown or not implemented by buildtool-runtime");
    }
    if (std::find(out.begin(), out.end(), it->second) != out.end()) {
      return FieldError(o.Path("type"), "namespace \"" + name + "\" appears twice");
    }
    out.push_back(it->second);
    if (ns_path.empty()) continue;  // "" asks for a new namespace, as an absent path does
    // Joining a user, pid, mount or cgroup namespace changes what every later step means
    // (whose ids, which /proc, which mounts); builds never ask for it.
    if (it->second != NamespaceKind::kNetwork && it->second != NamespaceKind::kUts &&
        it->second != NamespaceKind::kIpc) {
      return FieldError(o.Path("path"),
                        "not implemented by buildtool-runtime (joining a " + name + " namespace)");
    }
    if (!IsAbsolute(ns_path)) return FieldError(o.Path("path"), "must be an absolute path");
    linux->joined_namespaces.push_back(JoinedNamespace{it->second, ns_path, o.Path("path")});
  }
  return {};
}

Result<std::vector<Device>> ReadDevices(const json& value, const std::string& path) {
  BT_TRY(ExpectArray(value, path));
  std::vector<Device> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string item = ItemPath(path, i);
    BT_ASSIGN_OR_RETURN(JsonObject o, JsonObject::Of(value[i], item));
    Device d;
    const json* p = o.Find("path");
    const json* type = o.Find("type");
    if (p == nullptr || type == nullptr) return FieldError(item, "needs path and type");
    BT_ASSIGN_OR_RETURN(d.path, ReadString(*p, o.Path("path")));
    if (!IsAbsolute(d.path)) return FieldError(o.Path("path"), "must be an absolute path");
    BT_ASSIGN_OR_RETURN(const std::string t, ReadString(*type, o.Path("type")));
    if (t != "c" && t != "u" && t != "b" && t != "p") {
      return FieldError(o.Path("type"), "must be c, u, b or p");
    }
    d.type = t[0] == 'u' ? 'c' : t[0];
    if (const json* v = o.Find("major")) {
      BT_ASSIGN_OR_RETURN(d.major, ReadInt64(*v, o.Path("major")));
    }
    if (const json* v = o.Find("minor")) {
      BT_ASSIGN_OR_RETURN(d.minor, ReadInt64(*v, o.Path("minor")));
    }
    if (d.type != 'p' && (o.Find("major") == nullptr || o.Find("minor") == nullptr)) {
      return FieldError(item, "a c or b device needs major and minor");
    }
    if (d.major < 0 || d.minor < 0 || d.major > 0xfff || d.minor > 0xfffff) {
      return FieldError(item, "major or minor out of range");
    }
    if (const json* v = o.Find("fileMode")) {
      BT_ASSIGN_OR_RETURN(const std::uint32_t mode, ReadUint32(*v, o.Path("fileMode")));
      d.file_mode = mode & 07777;  // the type bits come from `type`, as in runc
    }
    if (const json* v = o.Find("uid")) {
      BT_ASSIGN_OR_RETURN(d.uid, ReadUint32(*v, o.Path("uid")));
    }
    if (const json* v = o.Find("gid")) {
      BT_ASSIGN_OR_RETURN(d.gid, ReadUint32(*v, o.Path("gid")));
    }
    BT_TRY(o.Finish());
    out.push_back(std::move(d));
  }
  return out;
}

Result<SeccompAction> ReadSeccompAction(const json& value, const std::string& path) {
  BT_ASSIGN_OR_RETURN(const std::string name, ReadString(value, path));
  static constexpr std::array<std::pair<std::string_view, SeccompAction>, 8> kActions = {{
      {"SCMP_ACT_KILL", SeccompAction::kKillThread},
      {"SCMP_ACT_KILL_THREAD", SeccompAction::kKillThread},
      {"SCMP_ACT_KILL_PROCESS", SeccompAction::kKillProcess},
      {"SCMP_ACT_TRAP", SeccompAction::kTrap},
      {"SCMP_ACT_ERRNO", SeccompAction::kErrno},
      {"SCMP_ACT_TRACE", SeccompAction::kTrace},
      {"SCMP_ACT_ALLOW", SeccompAction::kAllow},
      {"SCMP_ACT_LOG", SeccompAction::kLog},
  }};
  for (const auto& [n, action] : kActions) {
    if (n == name) return action;
  }
  if (name == "SCMP_ACT_NOTIFY") {
    return FieldError(path, "SCMP_ACT_NOTIFY is not implemented by buildtool-runtime");
  }
  return FieldError(path, "unknown seccomp action \"" + name + "\"");
}

Result<SeccompOp> ReadSeccompOp(const json& value, const std::string& path) {
  BT_ASSIGN_OR_RETURN(const std::string name, ReadString(value, path));
  static constexpr std::array<std::pair<std::string_view, SeccompOp>, 7> kOps = {{
      {"SCMP_CMP_NE", SeccompOp::kNotEqual},
      {"SCMP_CMP_LT", SeccompOp::kLess},
      {"SCMP_CMP_LE", SeccompOp::kLessEqual},
      {"SCMP_CMP_EQ", SeccompOp::kEqual},
      {"SCMP_CMP_GE", SeccompOp::kGreaterEqual},
      {"SCMP_CMP_GT", SeccompOp::kGreater},
      {"SCMP_CMP_MASKED_EQ", SeccompOp::kMaskedEqual},
  }};
  for (const auto& [n, op] : kOps) {
    if (n == name) return op;
  }
  return FieldError(path, "unknown seccomp operator \"" + name + "\"");
}

Result<SeccompRule> ReadSeccompRule(const json& value, const std::string& path) {
  BT_ASSIGN_OR_RETURN(JsonObject o, JsonObject::Of(value, path));
  SeccompRule rule;
  rule.field = path;
  const json* names = o.Find("names");
  if (names == nullptr) return FieldError(o.Path("names"), "is required");
  BT_ASSIGN_OR_RETURN(rule.names, ReadStringArray(*names, o.Path("names")));
  if (rule.names.empty()) return FieldError(o.Path("names"), "must name at least one syscall");
  for (std::size_t i = 0; i < rule.names.size(); ++i) {
    if (rule.names[i].empty()) return FieldError(ItemPath(o.Path("names"), i), "is empty");
  }
  const json* action = o.Find("action");
  if (action == nullptr) return FieldError(o.Path("action"), "is required");
  BT_ASSIGN_OR_RETURN(rule.action, ReadSeccompAction(*action, o.Path("action")));
  if (const json* v = o.Find("errnoRet")) {
    BT_ASSIGN_OR_RETURN(rule.errno_ret, ReadUint32(*v, o.Path("errnoRet")));
    if (rule.action != SeccompAction::kErrno && rule.action != SeccompAction::kTrace) {
      return FieldError(o.Path("errnoRet"), "only applies to SCMP_ACT_ERRNO and SCMP_ACT_TRACE");
    }
  }
  if (const json* v = o.Find("args")) {
    const std::string args_path = o.Path("args");
    BT_TRY(ExpectArray(*v, args_path));
    for (std::size_t i = 0; i < v->size(); ++i) {
      const std::string item = ItemPath(args_path, i);
      BT_ASSIGN_OR_RETURN(JsonObject a, JsonObject::Of((*v)[i], item));
      SeccompArg arg;
      const json* index = a.Find("index");
      const json* op = a.Find("op");
      const json* val = a.Find("value");
      if (index == nullptr || op == nullptr || val == nullptr) {
        return FieldError(item, "needs index, value and op");
      }
      BT_ASSIGN_OR_RETURN(const std::uint32_t idx, ReadUint32(*index, a.Path("index")));
      if (idx > 5) return FieldError(a.Path("index"), "must be 0..5");
      arg.index = idx;
      BT_ASSIGN_OR_RETURN(arg.value, ReadUint64(*val, a.Path("value")));
      if (const json* two = a.Find("valueTwo")) {
        BT_ASSIGN_OR_RETURN(arg.value_two, ReadUint64(*two, a.Path("valueTwo")));
      }
      BT_ASSIGN_OR_RETURN(arg.op, ReadSeccompOp(*op, a.Path("op")));
      BT_TRY(a.Finish());
      rule.args.push_back(arg);
    }
  }
  // Pure metadata, as written by profile generators.
  o.Ignore("comment");
  // The conditions of the moby profile format are resolved by the engine that writes
  // config.json; here they would silently apply a rule meant for other capabilities or
  // architectures.
  BT_TRY(o.Unimplemented("includes",
                         "moby profile conditions: resolve them when writing config.json"));
  BT_TRY(o.Unimplemented("excludes",
                         "moby profile conditions: resolve them when writing config.json"));
  BT_TRY(o.Finish());
  return rule;
}

Result<Seccomp> ReadSeccomp(const json& value, const std::string& path) {
  BT_ASSIGN_OR_RETURN(JsonObject o, JsonObject::Of(value, path));
  Seccomp s;
  const json* def = o.Find("defaultAction");
  if (def == nullptr) return FieldError(o.Path("defaultAction"), "is required");
  BT_ASSIGN_OR_RETURN(s.default_action, ReadSeccompAction(*def, o.Path("defaultAction")));
  if (const json* v = o.Find("defaultErrnoRet")) {
    BT_ASSIGN_OR_RETURN(s.default_errno_ret, ReadUint32(*v, o.Path("defaultErrnoRet")));
  }
  if (const json* v = o.Find("architectures")) {
    BT_ASSIGN_OR_RETURN(s.architectures, ReadStringArray(*v, o.Path("architectures")));
  }
  if (const json* v = o.Find("flags")) {
    BT_ASSIGN_OR_RETURN(s.flags, ReadStringArray(*v, o.Path("flags")));
  }
  BT_TRY(o.Unimplemented("listenerPath", "seccomp user notification"));
  BT_TRY(o.Unimplemented("listenerMetadata", "seccomp user notification"));
  if (const json* v = o.Find("syscalls")) {
    BT_TRY(ExpectArray(*v, o.Path("syscalls")));
    for (std::size_t i = 0; i < v->size(); ++i) {
      BT_ASSIGN_OR_RETURN(SeccompRule rule,
                          ReadSeccompRule((*v)[i], ItemPath(o.Path("syscalls"), i)));
      s.syscalls.push_back(std::move(rule));
    }
  }
  BT_TRY(o.Finish());
  return s;
}

Result<Resources> ReadResources(const json& value, const std::string& path) {
  BT_ASSIGN_OR_RETURN(JsonObject o, JsonObject::Of(value, path));
  Resources r;
  if (const json* pids = o.Find("pids")) {
    BT_ASSIGN_OR_RETURN(JsonObject p, JsonObject::Of(*pids, o.Path("pids")));
    const json* limit = p.Find("limit");
    if (limit != nullptr) {
      BT_ASSIGN_OR_RETURN(r.pids_limit, ReadInt64(*limit, p.Path("limit")));
    }
    BT_TRY(p.Finish());
  }
  if (const json* devices = o.Find("devices")) {
    const std::string dpath = o.Path("devices");
    BT_TRY(ExpectArray(*devices, dpath));
    for (std::size_t i = 0; i < devices->size(); ++i) {
      const std::string item = ItemPath(dpath, i);
      BT_ASSIGN_OR_RETURN(JsonObject d, JsonObject::Of((*devices)[i], item));
      DeviceRule rule;
      const json* allow = d.Find("allow");
      if (allow == nullptr) return FieldError(d.Path("allow"), "is required");
      BT_ASSIGN_OR_RETURN(rule.allow, ReadBool(*allow, d.Path("allow")));
      if (const json* t = d.Find("type")) {
        BT_ASSIGN_OR_RETURN(const std::string type, ReadString(*t, d.Path("type")));
        if (type != "a" && type != "c" && type != "b") {
          return FieldError(d.Path("type"), "must be a, c or b");
        }
        rule.type = type[0];
      }
      if (const json* v = d.Find("major")) {
        BT_ASSIGN_OR_RETURN(rule.major, ReadInt64(*v, d.Path("major")));
      }
      if (const json* v = d.Find("minor")) {
        BT_ASSIGN_OR_RETURN(rule.minor, ReadInt64(*v, d.Path("minor")));
      }
      if (const json* v = d.Find("access")) {
        BT_ASSIGN_OR_RETURN(rule.access, ReadString(*v, d.Path("access")));
        if (rule.access.find_first_not_of("rwm") != std::string::npos) {
          return FieldError(d.Path("access"), "must be made of r, w and m");
        }
      }
      if (rule.access.empty()) rule.access = "rwm";
      BT_TRY(d.Finish());
      r.devices.push_back(std::move(rule));
    }
  }
  BT_TRY(o.Unimplemented("memory", "memory limits"));
  BT_TRY(o.Unimplemented("cpu", "CPU limits"));
  BT_TRY(o.Unimplemented("blockIO", "block I/O limits"));
  BT_TRY(o.Unimplemented("hugepageLimits", "hugepage limits"));
  BT_TRY(o.Unimplemented("network", "network class and priorities"));
  BT_TRY(o.Unimplemented("rdma", "RDMA limits"));
  BT_TRY(o.Unimplemented("unified", "cgroup v2 key-value limits"));
  BT_TRY(o.Finish());
  return r;
}

Result<Linux> ReadLinux(const json& value) {
  BT_ASSIGN_OR_RETURN(JsonObject o, JsonObject::Of(value, "linux"));
  Linux l;
  if (const json* v = o.Find("namespaces")) {
    BT_TRY(ReadNamespaces(*v, o.Path("namespaces"), &l));
  }
  if (const json* v = o.Find("uidMappings")) {
    BT_ASSIGN_OR_RETURN(l.uid_mappings, ReadIdMappings(*v, o.Path("uidMappings")));
  }
  if (const json* v = o.Find("gidMappings")) {
    BT_ASSIGN_OR_RETURN(l.gid_mappings, ReadIdMappings(*v, o.Path("gidMappings")));
  }
  if (const json* v = o.Find("devices")) {
    BT_ASSIGN_OR_RETURN(l.devices, ReadDevices(*v, o.Path("devices")));
  }
  if (const json* v = o.Find("sysctl")) {
    BT_ASSIGN_OR_RETURN(JsonObject s, JsonObject::Of(*v, o.Path("sysctl")));
    for (const auto& [key, val] : v->items()) {
      s.Ignore(key);
      BT_ASSIGN_OR_RETURN(std::string text, ReadString(val, s.Path(key)));
      l.sysctl.emplace_back(key, std::move(text));
    }
    std::sort(l.sysctl.begin(), l.sysctl.end());
  }
  if (const json* v = o.Find("seccomp")) {
    BT_ASSIGN_OR_RETURN(l.seccomp, ReadSeccomp(*v, o.Path("seccomp")));
  }
  if (const json* v = o.Find("rootfsPropagation")) {
    BT_ASSIGN_OR_RETURN(l.rootfs_propagation, ReadString(*v, o.Path("rootfsPropagation")));
    static const std::set<std::string, std::less<>> kValues = {
        "",        "shared", "slave",    "private",    "unbindable",
        "rshared", "rslave", "rprivate", "runbindable"};
    if (kValues.count(l.rootfs_propagation) == 0) {
      return FieldError(o.Path("rootfsPropagation"),
                        "must be shared, slave, private or unbindable (optionally with r)");
    }
  }
  for (const char* key : {"maskedPaths", "readonlyPaths"}) {
    if (const json* v = o.Find(key)) {
      BT_ASSIGN_OR_RETURN(std::vector<std::string> paths, ReadStringArray(*v, o.Path(key)));
      for (std::size_t i = 0; i < paths.size(); ++i) {
        if (!IsAbsolute(paths[i])) return FieldError(ItemPath(o.Path(key), i), "must be absolute");
      }
      (std::string_view(key) == "maskedPaths" ? l.masked_paths : l.readonly_paths) =
          std::move(paths);
    }
  }
  if (const json* v = o.Find("cgroupsPath")) {
    BT_ASSIGN_OR_RETURN(l.cgroups_path, ReadString(*v, o.Path("cgroupsPath")));
  }
  if (const json* v = o.Find("resources")) {
    BT_ASSIGN_OR_RETURN(l.resources, ReadResources(*v, o.Path("resources")));
  }
  BT_TRY(o.Unimplemented("netDevices", "moving network devices"));
  BT_TRY(o.Unimplemented("mountLabel", "SELinux"));
  BT_TRY(o.Unimplemented("intelRdt", "Intel RDT"));
  BT_TRY(o.Unimplemented("memoryPolicy", "NUMA memory policy"));
  BT_TRY(o.Unimplemented("personality", "execution domains"));
  BT_TRY(o.Unimplemented("timeOffsets", "time namespaces"));
  BT_TRY(o.Finish());
  return l;
}

}  // namespace

bool Linux::Has(NamespaceKind kind) const {
  return std::find(namespaces.begin(), namespaces.end(), kind) != namespaces.end();
}

Result<Spec> ParseSpec(std::string_view json_text) {
  BT_ASSIGN_OR_RETURN(const json document, ParseStrictJson(json_text, "config.json"));
  BT_ASSIGN_OR_RETURN(JsonObject o, JsonObject::Of(document, ""));
  Spec spec;
  const json* version = o.Find("ociVersion");
  if (version == nullptr) return FieldError("ociVersion", "is required");
  BT_ASSIGN_OR_RETURN(const std::string v, ReadString(*version, "ociVersion"));
  if (v.rfind("1.", 0) != 0) return FieldError("ociVersion", "\"" + v + "\" is not a 1.x version");
  o.Ignore("annotations");

  const json* process = o.Find("process");
  if (process == nullptr) return FieldError("process", "is required to run a container");
  BT_ASSIGN_OR_RETURN(spec.process, ReadProcess(*process));

  const json* root = o.Find("root");
  if (root == nullptr) return FieldError("root", "is required");
  BT_ASSIGN_OR_RETURN(JsonObject r, JsonObject::Of(*root, "root"));
  const json* root_path = r.Find("path");
  if (root_path == nullptr) return FieldError("root.path", "is required");
  BT_ASSIGN_OR_RETURN(spec.root_path, ReadString(*root_path, "root.path"));
  if (spec.root_path.empty()) return FieldError("root.path", "is empty");
  if (const json* ro = r.Find("readonly")) {
    BT_ASSIGN_OR_RETURN(spec.root_readonly, ReadBool(*ro, "root.readonly"));
  }
  BT_TRY(r.Finish());

  if (const json* h = o.Find("hostname")) {
    BT_ASSIGN_OR_RETURN(spec.hostname, ReadString(*h, "hostname"));
  }
  if (const json* d = o.Find("domainname")) {
    BT_ASSIGN_OR_RETURN(spec.domainname, ReadString(*d, "domainname"));
  }
  if (const json* m = o.Find("mounts")) {
    BT_ASSIGN_OR_RETURN(spec.mounts, ReadMounts(*m));
  }
  if (const json* l = o.Find("linux")) {
    BT_ASSIGN_OR_RETURN(spec.linux, ReadLinux(*l));
  }
  BT_TRY(o.Unimplemented("hooks", "hooks"));
  for (const char* other : {"solaris", "windows", "vm", "zos", "freebsd"}) {
    BT_TRY(o.Unimplemented(other, "another platform"));
  }
  BT_TRY(o.Finish());
  return spec;
}

}  // namespace bt::executor::runtime
