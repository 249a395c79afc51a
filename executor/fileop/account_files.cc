#include "executor/fileop/account_files.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "cache/path_patterns.h"
#include "cache/snapshot/in_root_path.h"
#include "executor/fileop/path_error.h"

namespace bt::executor {
namespace {

// Calls `fn` with each line of `text` (split at '\n', the newline dropped).
template <typename Fn>
void ForEachLine(std::string_view text, Fn&& fn) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    fn(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
}

// bytes.Split(line, ":"): every separator counts, so "a::b" has an empty second field.
std::vector<std::string_view> SplitAt(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  for (;;) {
    const size_t at = line.find(sep, pos);
    if (at == std::string_view::npos) {
      out.push_back(line.substr(pos));
      return out;
    }
    out.push_back(line.substr(pos, at - pos));
    pos = at + 1;
  }
}

std::string_view Field(const std::vector<std::string_view>& fields, size_t i) {
  return i < fields.size() ? fields[i] : std::string_view();
}

}  // namespace

Result<std::optional<std::string>> ReadAccountFile(const RootDir& root, const char* path,
                                                   UnreadableAccountFile unreadable) {
  const bool absent_on_failure = unreadable == UnreadableAccountFile::kAbsent;
  cache::InRootOpenOptions open_file;
  // O_NONBLOCK: a FIFO planted at /etc/passwd must not hang the open; it is refused below.
  open_file.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY;
  auto fd = cache::OpenInRoot(root.fd(), path, open_file);
  if (!fd) {
    const int err = fd.error().sys_errno;
    if (absent_on_failure || err == ENOENT || err == ENOTDIR) return std::optional<std::string>();
    return PathError("open", path, err);
  }
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) {
    if (absent_on_failure) return std::optional<std::string>();
    return PathError("stat", path, errno);
  }
  if (!S_ISREG(st.st_mode)) {
    if (absent_on_failure) return std::optional<std::string>();
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
    if (text.size() > kMaxAccountFileBytes) {
      return MakeError(ErrorCode::kInvalidArgument, "\"" + std::string(path) + "\" exceeds " +
                                                        std::to_string(kMaxAccountFileBytes) + " bytes");
    }
  }
  return std::optional<std::string>(std::move(text));
}

AccountId ParseAccountId(std::string_view field) {
  AccountId id{field, 0u};
  std::string_view digits = field;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return id;
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return id;  // a syntax error: Atoi's error is ignored, 0
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > UINT32_MAX) break;
  }
  if ((negative && value != 0) || value >= UINT32_MAX) {
    id.value.reset();
  } else {
    id.value = static_cast<uint32_t>(value);
  }
  return id;
}

Result<uint32_t> AccountIdValue(const AccountId& id, std::string_view file, std::string_view name) {
  if (!id.value) {
    return MakeError(ErrorCode::kInvalidArgument, "invalid id \"" + std::string(id.field) + "\" for " +
                                                      std::string(name) + " in " + std::string(file));
  }
  return *id.value;
}

std::vector<PasswdEntry> ParsePasswd(std::string_view text) {
  std::vector<PasswdEntry> out;
  ForEachLine(text, [&](std::string_view raw) {
    const std::string_view line = cache::TrimGoSpace(raw);
    if (line.empty()) return;
    // name:password:UID:GID:GECOS:directory:shell (man 5 passwd)
    const std::vector<std::string_view> f = SplitAt(line, ':');
    out.push_back(PasswdEntry{f[0], ParseAccountId(Field(f, 2)), ParseAccountId(Field(f, 3)), Field(f, 5)});
  });
  return out;
}

std::vector<GroupEntry> ParseGroup(std::string_view text) {
  std::vector<GroupEntry> out;
  ForEachLine(text, [&](std::string_view raw) {
    const std::string_view line = cache::TrimGoSpace(raw);
    if (line.empty() || line[0] == '#') return;
    // group_name:password:GID:user_list (man 5 group)
    const std::vector<std::string_view> f = SplitAt(line, ':');
    GroupEntry e{f[0], ParseAccountId(Field(f, 2)), {}};
    if (!Field(f, 3).empty()) e.members = SplitAt(Field(f, 3), ',');
    out.push_back(std::move(e));
  });
  return out;
}

Result<void> CheckAccountLineLengths(std::string_view text, size_t max_line_bytes, std::string_view path) {
  size_t number = 0;
  size_t too_long = 0;
  ForEachLine(text, [&](std::string_view line) {
    ++number;
    if (too_long == 0 && line.size() > max_line_bytes) too_long = number;
  });
  if (too_long != 0) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(path) + ": line " + std::to_string(too_long) +
                                                      " is longer than " + std::to_string(max_line_bytes) +
                                                      " bytes");
  }
  return {};
}

}  // namespace bt::executor
