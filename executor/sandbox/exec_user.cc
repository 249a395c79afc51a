#include "executor/sandbox/exec_user.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "executor/fileop/account_files.h"

namespace bt::executor {
namespace {

// moby/sys/user maxID: "for 32-bit systems compatibility", and since containerd's fix for
// CVE-2024-40635 (a uid above it overflowed to 0 and ran the container as root).
constexpr uint32_t kMaxId = 2147483647;
constexpr std::string_view kRangeError = "uids and gids must be in range 0-2147483647";

// strconv.Atoi's verdict on a string, for a 64-bit int.
struct GoInt {
  enum class Status { kOk, kSyntax, kRange };
  Status status = Status::kOk;
  bool negative = false;
  uint64_t magnitude = 0;
};

GoInt GoAtoi(std::string_view s) {
  GoInt out;
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    out.negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) {
    out.status = GoInt::Status::kSyntax;
    return out;
  }
  // Below 19 bytes Atoi cannot overflow and only checks syntax. Longer strings go through
  // ParseUint, which stops at the first overflow before looking at later bytes: so
  // "99999999999999999999x" is a range error but "9x" a syntax error.
  const uint64_t cutoff = UINT64_MAX / 10 + 1;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      out.status = GoInt::Status::kSyntax;
      return out;
    }
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (out.magnitude >= cutoff || out.magnitude * 10 > UINT64_MAX - d) {
      out.status = GoInt::Status::kRange;
      return out;
    }
    out.magnitude = out.magnitude * 10 + d;
  }
  const uint64_t int64_limit = uint64_t{1} << 63;
  if (out.negative ? out.magnitude > int64_limit : out.magnitude >= int64_limit) {
    out.status = GoInt::Status::kRange;
  }
  return out;
}

// One side of a USER value, as GetExecUser's parseNumeric reads it: a number is an id (and
// never looked up as a name) when Atoi accepts it; it must then be within 0..kMaxId. Anything
// Atoi calls a syntax error ("app", "1a", "+") is a name.
struct SpecPart {
  std::string_view text;  // "" when absent
  bool numeric = false;
  uint32_t id = 0;
};

Result<SpecPart> ParseSpecPart(std::string_view text, std::string_view user) {
  SpecPart part{text, false, 0};
  if (text.empty()) return part;
  const GoInt n = GoAtoi(text);
  if (n.status == GoInt::Status::kSyntax) return part;
  if (n.status == GoInt::Status::kRange || (n.negative && n.magnitude != 0) || n.magnitude > kMaxId) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid user \"" + std::string(user) + "\": " + std::string(kRangeError));
  }
  part.numeric = true;
  part.id = static_cast<uint32_t>(n.magnitude);
  return part;
}

// parseUID of executor/oci/user.go: "root" is 0, else strconv.ParseUint(s, 10, 32) (digits
// only, no sign). Values above kMaxId are left to GetExecUser, which refuses them: BuildKit's
// fast path would pass them on up to 4294967295, (uid_t)-1 included.
std::optional<uint32_t> ParseFastId(std::string_view s) {
  if (s == "root") return 0u;
  if (s.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > kMaxId) return std::nullopt;
  }
  return static_cast<uint32_t>(value);
}

struct Ids {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> sgids;
};

// The rootfs's account files, each read at most once (GetUser and the HOME lookup share
// /etc/passwd). GetUser opens them as executor/oci/user.go openUserFile does: whatever cannot
// be opened as a regular file is no file.
class AccountFiles {
 public:
  explicit AccountFiles(const RootDir& root) : root_(root) {}
  const Result<std::optional<std::string>>& passwd() { return Load(passwd_, "/etc/passwd"); }
  const Result<std::optional<std::string>>& group() { return Load(group_, "/etc/group"); }

 private:
  const Result<std::optional<std::string>>& Load(std::optional<Result<std::optional<std::string>>>& slot,
                                                 const char* path) {
    if (!slot) slot.emplace(ReadAccountFile(root_, path, UnreadableAccountFile::kAbsent));
    return *slot;
  }

  const RootDir& root_;
  std::optional<Result<std::optional<std::string>>> passwd_;
  std::optional<Result<std::optional<std::string>>> group_;
};

// An error from reading or scanning an account file, under GetExecUser's prefix.
Error Prefixed(std::string prefix, const Error& e) {
  Error out = MakeError(e.code, std::move(prefix) + e.message);
  out.sys_errno = e.sys_errno;
  return out;
}

// The entries of an account file, or nullopt when there is no file. `prefix` leads any error.
template <typename Entry>
Result<std::optional<std::vector<Entry>>> Entries(const Result<std::optional<std::string>>& text,
                                                  std::vector<Entry> (*parse)(std::string_view),
                                                  size_t max_line, const char* path,
                                                  const std::string& prefix) {
  if (!text) return Prefixed(prefix, text.error());
  if (!*text) return std::optional<std::vector<Entry>>();
  if (auto lines = CheckAccountLineLengths(**text, max_line, path); !lines) {
    return Prefixed(prefix, lines.error());
  }
  return std::optional<std::vector<Entry>>(parse(**text));
}

// moby/sys/user GetExecUser(spec, nil defaults, passwd, group) as BuildKit calls it: the
// defaults are uid 0, gid 0, no supplementary groups.
Result<Ids> GetExecUser(AccountFiles& files, std::string_view spec) {
  // parseLine(spec, &userArg, &groupArg) splits at every ':' and keeps the first two fields.
  const size_t colon = spec.find(':');
  const std::string_view user_arg = spec.substr(0, colon);
  std::string_view group_arg;
  if (colon != std::string_view::npos) {
    group_arg = spec.substr(colon + 1);
    group_arg = group_arg.substr(0, group_arg.find(':'));
  }
  BT_ASSIGN_OR_RETURN(const SpecPart u, ParseSpecPart(user_arg, spec));
  BT_ASSIGN_OR_RETURN(const SpecPart g, ParseSpecPart(group_arg, spec));

  Ids ids;
  const std::string user_shown = user_arg.empty() ? std::string("0") : std::string(user_arg);
  BT_ASSIGN_OR_RETURN(const std::optional<std::vector<PasswdEntry>> users,
                      Entries<PasswdEntry>(files.passwd(), ParsePasswd, kMaxPasswdLineBytes, "/etc/passwd",
                                           "unable to find user " + user_shown + ": "));
  const std::vector<PasswdEntry> no_users;
  const PasswdEntry* matched = nullptr;
  for (const PasswdEntry& e : users ? *users : no_users) {
    const bool match = user_arg.empty() ? e.uid.value == 0u
                       : u.numeric      ? e.uid.value == u.id
                                        : e.name == user_arg;
    if (match) {
      matched = &e;  // the first match wins
      break;
    }
  }
  std::string_view matched_name;
  if (matched != nullptr) {
    matched_name = matched->name;
    BT_ASSIGN_OR_RETURN(ids.uid, AccountIdValue(matched->uid, "/etc/passwd", matched->name));
    BT_ASSIGN_OR_RETURN(ids.gid, AccountIdValue(matched->gid, "/etc/passwd", matched->name));
  } else if (!user_arg.empty()) {
    if (!u.numeric) {
      return MakeError(ErrorCode::kNotFound,
                       "unable to find user " + std::string(user_arg) + ": no matching entries in passwd file");
    }
    ids.uid = u.id;  // a uid without an entry: the gid stays 0
  }

  // Groups are read for an explicit group, or for the supplementary groups of a user found
  // by name or uid (an entry with an empty name has none).
  if (group_arg.empty() && matched_name.empty()) return ids;
  BT_ASSIGN_OR_RETURN(const std::optional<std::vector<GroupEntry>> groups,
                      Entries<GroupEntry>(files.group(), ParseGroup, kMaxGroupLineBytes, "/etc/group",
                                          "unable to find groups for spec " + std::string(matched_name) + ": "));
  const std::vector<GroupEntry> no_groups;
  const std::vector<GroupEntry>& entries = groups ? *groups : no_groups;
  if (!group_arg.empty()) {
    // An explicit group sets the gid and leaves no supplementary groups.
    const auto found = std::find_if(entries.begin(), entries.end(), [&](const GroupEntry& e) {
      return g.numeric ? e.gid.value == g.id : e.name == group_arg;
    });
    if (found != entries.end()) {
      BT_ASSIGN_OR_RETURN(ids.gid, AccountIdValue(found->gid, "/etc/group", found->name));
    } else if (g.numeric) {
      ids.gid = g.id;
    } else {
      return MakeError(ErrorCode::kNotFound,
                       "unable to find group " + std::string(group_arg) + ": no matching entries in group file");
    }
    return ids;
  }
  for (const GroupEntry& e : entries) {
    if (std::find(e.members.begin(), e.members.end(), matched_name) == e.members.end()) continue;
    // BuildKit would wrap an out-of-range gid into a uint32 (4294967296 becomes group 0).
    BT_ASSIGN_OR_RETURN(const uint32_t gid, AccountIdValue(e.gid, "/etc/group", e.name));
    ids.sgids.push_back(gid);
  }
  return ids;
}

// runc's getUserHome (libcontainer/env.go): LookupUid in the container's /etc/passwd.
std::string HomeOf(AccountFiles& files, uint32_t uid) {
  const Result<std::optional<std::string>>& text = files.passwd();
  if (!text || !*text || !CheckAccountLineLengths(**text, kMaxPasswdLineBytes, "/etc/passwd")) return "/";
  for (const PasswdEntry& e : ParsePasswd(**text)) {
    if (e.uid.value == uid) return std::string(e.home);
  }
  return "/";
}

}  // namespace

Result<ExecUser> ResolveExecUser(const RootDir& rootfs, std::string_view user) {
  // executor/oci/user.go GetUser: an empty user is "0", and any failure to resolve it is
  // root without supplementary groups.
  const bool is_default = user.empty();
  const std::string_view spec = is_default ? std::string_view("0") : user;
  AccountFiles files(rootfs);
  Ids ids;
  // The fast path: "uid:gid" with both numeric (or "root") never reads /etc/passwd or
  // /etc/group, so it has no supplementary groups.
  const size_t colon = spec.find(':');
  std::optional<uint32_t> fast_uid;
  std::optional<uint32_t> fast_gid;
  if (colon != std::string_view::npos) {
    fast_uid = ParseFastId(spec.substr(0, colon));
    fast_gid = ParseFastId(spec.substr(colon + 1));
  }
  if (fast_uid && fast_gid) {
    ids.uid = *fast_uid;
    ids.gid = *fast_gid;
  } else {
    Result<Ids> got = GetExecUser(files, spec);
    if (got) {
      ids = std::move(*got);
    } else if (!is_default) {
      return std::move(got).error();
    }
  }

  ExecUser out;
  out.uid = ids.uid;
  out.gid = ids.gid;
  // WithUIDGID's ensureAdditionalGids: the primary gid leads unless already listed.
  if (std::find(ids.sgids.begin(), ids.sgids.end(), ids.gid) == ids.sgids.end()) {
    out.additional_gids.push_back(ids.gid);
  }
  out.additional_gids.insert(out.additional_gids.end(), ids.sgids.begin(), ids.sgids.end());
  out.home = HomeOf(files, ids.uid);
  return out;
}

}  // namespace bt::executor
