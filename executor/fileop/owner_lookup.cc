#include "executor/fileop/owner_lookup.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cache/path_patterns.h"
#include "executor/fileop/path_error.h"

namespace bt::executor {
namespace {

constexpr size_t kMaxUserFileBytes = 10 << 20;  // user_linux.go maxUserFileBytes

// The file's text; nullopt when it does not exist (or a parent is not a directory), which
// readUser treats as "no entry".
Result<std::optional<std::string>> ReadUserFile(const RootDir& root, const char* path) {
  cache::InRootOpenOptions open_file;
  open_file.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY;
  auto fd = cache::OpenInRoot(root.fd(), path, open_file);
  if (!fd) {
    const int err = fd.error().sys_errno;
    if (err == ENOENT || err == ENOTDIR) return std::optional<std::string>();
    return PathError("open", path, err);
  }
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return PathError("stat", path, errno);
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(path) + " is not a regular file");
  }
  std::string text;
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd->get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return PathError("read", path, errno);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxUserFileBytes) {
      return MakeError(ErrorCode::kInvalidArgument, "\"" + std::string(path) + "\" exceeds " +
                                                        std::to_string(kMaxUserFileBytes) + " bytes");
    }
  }
  return std::optional<std::string>(std::move(text));
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  for (;;) {
    const size_t colon = line.find(':', pos);
    out.push_back(line.substr(pos, colon == std::string_view::npos ? std::string_view::npos : colon - pos));
    if (colon == std::string_view::npos) return out;
    pos = colon + 1;
  }
}

// A numeric field as moby/sys/user parses it: strconv.Atoi with the syntax error ignored
// (the field reads as 0). Values no uid_t can hold are refused rather than wrapped.
Result<uint32_t> ParseId(std::string_view field, std::string_view file, std::string_view name) {
  std::string_view digits = field;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return 0u;
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return 0u;
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > UINT32_MAX) break;
  }
  if ((negative && value != 0) || value >= UINT32_MAX) {
    return MakeError(ErrorCode::kInvalidArgument, "invalid id \"" + std::string(field) + "\" for " +
                                                      std::string(name) + " in " + std::string(file));
  }
  return static_cast<uint32_t>(value);
}

enum class AccountFile { kPasswd, kGroup };

// The ids of the first line whose first field is `name`: the third field (uid or gid) and,
// in passwd, the fourth (the primary gid). Lines are trimmed; blank lines (and, in group,
// '#' lines, which moby/sys/user skips there only) are skipped.
struct Entry {
  uint32_t id = 0;
  uint32_t gid = 0;
};
Result<std::optional<Entry>> FindEntry(const std::string& text, std::string_view name, AccountFile kind) {
  const bool group = kind == AccountFile::kGroup;
  const char* file = group ? "/etc/group" : "/etc/passwd";
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line = cache::TrimGoSpace(std::string_view(text).substr(pos, nl - pos));
    pos = nl + 1;
    if (line.empty() || (group && line[0] == '#')) continue;
    std::vector<std::string_view> f = SplitFields(line);
    if (f[0] != name) continue;
    Entry e;
    if (f.size() > 2) {
      BT_ASSIGN_OR_RETURN(e.id, ParseId(f[2], file, name));
    }
    if (!group && f.size() > 3) {
      BT_ASSIGN_OR_RETURN(e.gid, ParseId(f[3], file, name));
    }
    return std::optional<Entry>(e);
  }
  return std::optional<Entry>();
}

}  // namespace

Result<std::optional<UidGid>> ResolveOwner(const std::optional<Owner>& owner, const RootDir& root,
                                           UnknownOwnerName unknown) {
  if (!owner) return std::optional<UidGid>();
  UidGid out;
  if (const auto* id = std::get_if<uint32_t>(&owner->user)) {
    out.uid = *id;
    out.gid = *id;
  } else {
    const std::string& name = std::get<std::string>(owner->user);
    BT_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadUserFile(root, "/etc/passwd"));
    std::optional<Entry> e;
    if (text) {
      BT_ASSIGN_OR_RETURN(e, FindEntry(*text, name, AccountFile::kPasswd));
    }
    if (e) {
      out.uid = e->id;
      out.gid = e->gid;
    } else if (unknown == UnknownOwnerName::kError) {
      return MakeError(ErrorCode::kNotFound,
                       "unable to find user " + name + ": no matching entries in passwd file");
    }
  }
  if (owner->group) {
    if (const auto* id = std::get_if<uint32_t>(&*owner->group)) {
      out.gid = *id;
    } else {
      const std::string& name = std::get<std::string>(*owner->group);
      BT_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadUserFile(root, "/etc/group"));
      std::optional<Entry> e;
      if (text) {
        BT_ASSIGN_OR_RETURN(e, FindEntry(*text, name, AccountFile::kGroup));
      }
      if (e) {
        out.gid = e->id;
      } else if (unknown == UnknownOwnerName::kError) {
        return MakeError(ErrorCode::kNotFound,
                         "unable to find group " + name + ": no matching entries in group file");
      }
      // Otherwise the gid stays what the user gave (readUser's `break`).
    }
  }
  return std::optional<UidGid>(out);
}

}  // namespace bt::executor
