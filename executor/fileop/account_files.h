// Account files: a tree's /etc/passwd and /etc/group, read in-root (a symlinked /etc or
// /etc/passwd cannot make us read the host's) and parsed as moby/sys/user parses them
// (user.go ParsePasswdFilter / ParseGroupFilter, as vendored by BuildKit): lines are trimmed
// of white space, blank lines skipped, and in /etc/group only, '#' lines too; fields are split
// at every ':'; missing fields read as empty. Our own parser, never NSS (SECURITY.md case 15).
// Used by --chown lookups (owner_lookup.h) and by a RUN step's user (sandbox/exec_user.h).
// Stateless; thread-safe as far as the tree is not being written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "executor/fileop/root_dir.h"

namespace bt::executor {

// Files over this size are refused (BuildKit's maxUserFileBytes, executor/oci/user.go and
// solver/llbsolver/ops/user_linux.go).
inline constexpr size_t kMaxAccountFileBytes = 10 << 20;

// What a file that cannot be opened as a regular file means. Both callers treat a missing
// file (or a parent that is not a directory) as "no entries"; they differ beyond that.
enum class UnreadableAccountFile {
  kError,   // ops/user_linux.go readUser: other open failures and non-regular files fail
  kAbsent,  // executor/oci/user.go GetUser: every open failure counts as no file
};

// The text of `path` (absolute inside `root`), or nullopt when it counts as absent.
// kInvalidArgument for a file over kMaxAccountFileBytes (and, with kError, one that is not a
// regular file); kIo (and friends, per PathError) when reading fails.
Result<std::optional<std::string>> ReadAccountFile(const RootDir& root, const char* path,
                                                   UnreadableAccountFile unreadable);

// A numeric field (uid, gid) as written. moby/sys/user reads it with strconv.Atoi and ignores
// syntax errors, so "", "x" or "1a" read as 0. A value no uid_t holds exactly (negative, over
// 32 bits, or 4294967295, which is (uid_t)-1) is kept as invalid: BuildKit would wrap it into
// a uint32 (4294967296 becomes 0, root), we refuse it when the entry is used.
struct AccountId {
  std::string_view field;
  std::optional<uint32_t> value;  // nullopt: invalid, matches no id
};
AccountId ParseAccountId(std::string_view field);
// The value of `id`, or kInvalidArgument naming the field, the entry `name` and the `file`.
Result<uint32_t> AccountIdValue(const AccountId& id, std::string_view file, std::string_view name);

// Entries are views into the text they were parsed from, in file order, duplicates kept.
struct PasswdEntry {
  std::string_view name;
  AccountId uid;
  AccountId gid;
  std::string_view home;
};
struct GroupEntry {
  std::string_view name;
  AccountId gid;
  std::vector<std::string_view> members;  // the comma-separated list, untrimmed
};
std::vector<PasswdEntry> ParsePasswd(std::string_view text);
std::vector<GroupEntry> ParseGroup(std::string_view text);

// moby/sys/user reads lines with a bufio.Scanner, which fails the whole parse ("token too
// long") on a line (without its '\n') longer than its buffer less one byte: 64 KiB for passwd,
// 1 MiB for group (ParseGroupFilter raises the limit for long member lists).
inline constexpr size_t kMaxPasswdLineBytes = 64 * 1024 - 1;
inline constexpr size_t kMaxGroupLineBytes = 1024 * 1024 - 1;
// kInvalidArgument naming `path` and the line when a line is longer than `max_line_bytes`.
Result<void> CheckAccountLineLengths(std::string_view text, size_t max_line_bytes, std::string_view path);

}  // namespace bt::executor
