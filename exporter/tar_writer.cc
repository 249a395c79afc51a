#include "exporter/tar_writer.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <optional>

#include <errno.h>
#include <unistd.h>

namespace bt::exporter {
namespace {

constexpr std::size_t kBlock = 512;
constexpr std::size_t kNameSize = 100;
constexpr std::size_t kPrefixSize = 155;
constexpr std::array<char, kBlock> kZeroBlock{};

// Field offsets and sizes of a ustar header block.
struct Field {
  std::size_t offset;
  std::size_t size;
};
constexpr Field kName{0, 100};
constexpr Field kMode{100, 8};
constexpr Field kUid{108, 8};
constexpr Field kGid{116, 8};
constexpr Field kSize{124, 12};
constexpr Field kMtime{136, 12};
constexpr Field kChecksum{148, 8};
constexpr std::size_t kTypeflag = 156;
constexpr Field kLinkname{157, 100};
constexpr Field kMagic{257, 6};
constexpr Field kVersion{263, 2};
constexpr Field kUname{265, 32};
constexpr Field kGname{297, 32};
constexpr Field kDevMajor{329, 8};
constexpr Field kDevMinor{337, 8};
constexpr Field kPrefix{345, 155};

using Block = std::array<char, kBlock>;

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// The ASCII characters of `s`: what a ustar field can hold of a name a PAX record carries.
std::string ToAscii(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x80 && c != '\0') out.push_back(c);
  }
  return out;
}

bool FitsOctal(std::size_t field_size, std::uint64_t value) {
  const unsigned bits = static_cast<unsigned>(field_size - 1) * 3;
  return bits >= 64 || value < (std::uint64_t{1} << bits);
}

bool FitsOctalSigned(std::size_t field_size, std::int64_t value) {
  return value >= 0 && FitsOctal(field_size, static_cast<std::uint64_t>(value));
}

// A string field: as much of `s` as fits, NUL-terminated when shorter. A path cut at the field's
// end must not read as a directory, so a slash there becomes the terminator (as Go does).
void PutString(Block& b, Field f, std::string_view s) {
  std::memcpy(b.data() + f.offset, s.data(), std::min(s.size(), f.size));
  if (s.size() > f.size && b[f.offset + f.size - 1] == '/') {
    std::size_t n = f.size - 1;
    while (n > 0 && s[n - 1] == '/') --n;
    b[f.offset + n] = '\0';
  }
}

// Zero-padded octal in size-1 digits and a NUL; a value that does not fit is written as 0
// (its PAX record, or the refusal before, carries it).
void PutOctal(Block& b, Field f, std::uint64_t value) {
  if (!FitsOctal(f.size, value)) value = 0;
  char* p = b.data() + f.offset;
  p[f.size - 1] = '\0';
  for (std::size_t i = f.size - 1; i > 0; --i) {
    p[i - 1] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
}

void SetUstarMagicAndChecksum(Block& b) {
  std::memcpy(b.data() + kMagic.offset, "ustar\0", kMagic.size);
  std::memcpy(b.data() + kVersion.offset, "00", kVersion.size);
  std::memset(b.data() + kChecksum.offset, ' ', kChecksum.size);
  std::uint64_t sum = 0;
  for (char c : b) sum += static_cast<unsigned char>(c);
  // Six digits, a NUL and the space already there.
  PutOctal(b, Field{kChecksum.offset, 7}, sum);
}

// Go's splitUSTARPath: a path over 100 bytes split at a slash into prefix (<= 155) and name
// (<= 100), when it can be.
std::optional<std::pair<std::string_view, std::string_view>> SplitUstarPath(std::string_view name) {
  std::size_t length = name.size();
  if (length <= kNameSize || !IsAscii(name)) return std::nullopt;
  if (length > kPrefixSize + 1) {
    length = kPrefixSize + 1;
  } else if (name[length - 1] == '/') {
    --length;
  }
  const std::size_t i = name.substr(0, length).rfind('/');
  if (i == std::string_view::npos || i == 0) return std::nullopt;
  const std::size_t suffix_length = name.size() - i - 1;
  if (suffix_length > kNameSize || suffix_length == 0 || i > kPrefixSize) return std::nullopt;
  return std::make_pair(name.substr(0, i), name.substr(i + 1));
}

std::string FormatPaxTime(std::int64_t sec, std::uint32_t nsec) {
  if (nsec == 0) return std::to_string(sec);
  std::string sign;
  std::uint64_t whole;
  std::uint32_t frac;
  if (sec < 0) {  // -1.25 s is sec -2, nsec 750000000
    sign = "-";
    whole = static_cast<std::uint64_t>(-(sec + 1));
    frac = 1000000000u - nsec;
  } else {
    whole = static_cast<std::uint64_t>(sec);
    frac = nsec;
  }
  char digits[16];
  std::snprintf(digits, sizeof digits, "%09u", frac);
  std::string s = sign + std::to_string(whole) + "." + digits;
  while (s.back() == '0') s.pop_back();
  return s;
}

// "LEN KEY=VALUE\n", LEN counting the whole record, its own digits included.
std::string PaxRecord(std::string_view key, std::string_view value) {
  const std::size_t base = key.size() + value.size() + 3;  // ' ', '=', '\n'
  std::size_t size = base + std::to_string(base).size();
  if (std::to_string(size).size() != std::to_string(base).size())
    size = base + std::to_string(size).size();
  std::string record = std::to_string(size);
  record += ' ';
  record.append(key);
  record += '=';
  record.append(value);
  record += '\n';
  return record;
}

bool IsLinkType(TarType t) { return t == TarType::kHardLink || t == TarType::kSymlink; }

struct PaxPlan {
  std::vector<std::pair<std::string, std::string>> records;  // sorted by key
  bool ustar_possible = true;
};

PaxPlan PlanPax(const TarEntry& e) {
  PaxPlan plan;
  if (e.path.size() > kNameSize || !IsAscii(e.path)) {
    plan.records.emplace_back("path", e.path);
    if (!SplitUstarPath(e.path)) plan.ustar_possible = false;
  }
  if (e.link_target.size() > kNameSize || !IsAscii(e.link_target)) {
    plan.records.emplace_back("linkpath", e.link_target);
    plan.ustar_possible = false;
  }
  if (!FitsOctal(kUid.size, e.uid)) {
    plan.records.emplace_back("uid", std::to_string(e.uid));
    plan.ustar_possible = false;
  }
  if (!FitsOctal(kGid.size, e.gid)) {
    plan.records.emplace_back("gid", std::to_string(e.gid));
    plan.ustar_possible = false;
  }
  if (!FitsOctal(kSize.size, e.size)) {
    plan.records.emplace_back("size", std::to_string(e.size));
    plan.ustar_possible = false;
  }
  if (e.mtime_nsec != 0 || !FitsOctalSigned(kMtime.size, e.mtime_sec)) {
    plan.records.emplace_back("mtime", FormatPaxTime(e.mtime_sec, e.mtime_nsec));
    plan.ustar_possible = false;
  }
  for (const auto& [name, value] : e.xattrs) {
    plan.records.emplace_back("SCHILY.xattr." + name, value);
    plan.ustar_possible = false;
  }
  std::sort(plan.records.begin(), plan.records.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return plan;
}

Error Invalid(const TarEntry& e, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "tar entry " + ToAscii(e.path) + ": " + std::string(why));
}

Result<void> Validate(const TarEntry& e) {
  if (e.path.empty()) return Invalid(e, "empty path");
  if (HasNul(e.path) || HasNul(e.link_target)) return Invalid(e, "a NUL byte in a path");
  if (IsLinkType(e.type) && e.link_target.empty()) return Invalid(e, "a link without a target");
  if (!IsLinkType(e.type) && !e.link_target.empty()) return Invalid(e, "a target on a non-link");
  if (e.type != TarType::kRegular && e.size != 0) return Invalid(e, "content on a non-file");
  if (e.mode > 07777) return Invalid(e, "mode bits beyond 07777");
  if (!FitsOctal(kDevMajor.size, e.dev_major) || !FitsOctal(kDevMinor.size, e.dev_minor)) {
    return Invalid(e, "a device number over 2097151");
  }
  if (e.type != TarType::kDirectory && e.type != TarType::kHardLink &&
      e.type != TarType::kSymlink && e.path.back() == '/') {
    return Invalid(e, "a trailing slash on a non-directory");
  }
  for (std::size_t i = 0; i < e.xattrs.size(); ++i) {
    const std::string& name = e.xattrs[i].first;
    if (name.empty() || HasNul(name) || name.find('=') != std::string::npos) {
      return Invalid(e, "an invalid extended attribute name");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (e.xattrs[j].first == name) return Invalid(e, "extended attribute " + name + " twice");
    }
  }
  return {};
}

// The name Go gives a PAX extended header: DIR/PaxHeaders.0/BASE (path.Join of path.Split).
std::string PaxHeaderName(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  const std::string_view dir = slash == std::string_view::npos ? "" : path.substr(0, slash + 1);
  const std::string_view file = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::string name(dir);
  name += "PaxHeaders.0";
  if (!file.empty()) {
    name += '/';
    name.append(file);
  }
  name = ToAscii(name);
  if (name.size() > kNameSize) name.resize(kNameSize);
  while (!name.empty() && name.back() == '/') name.pop_back();
  return name;
}

constexpr std::size_t kFdChunk = 1 << 20;

}  // namespace

FdTarSink::FdTarSink(int fd) : fd_(fd) { buffer_.reserve(kFdChunk); }

Result<void> FdTarSink::Write(std::string_view bytes) {
  if (buffer_.size() + bytes.size() > kFdChunk) BT_TRY(Flush());
  if (bytes.size() >= kFdChunk) return WriteAll(bytes);
  buffer_.append(bytes);
  return {};
}

Result<void> FdTarSink::Flush() {
  BT_TRY(WriteAll(buffer_));
  buffer_.clear();
  return {};
}

Result<void> FdTarSink::WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("write", "the tar stream", errno);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::string PaxRecordsFor(const TarEntry& entry) {
  const PaxPlan plan = PlanPax(entry);
  if (plan.ustar_possible) return {};
  std::string data;
  for (const auto& [key, value] : plan.records) data += PaxRecord(key, value);
  return data;
}

Result<void> TarWriter::Emit(std::string_view bytes) {
  Result<void> r = sink_.Write(bytes);
  if (!r) {
    finished_ = true;  // nothing more can be appended to a stream with a hole in it
    return r;
  }
  written_ += bytes.size();
  return {};
}

Result<void> TarWriter::PadEntry() {
  if (remaining_ != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "tar entry short of its size by " + std::to_string(remaining_) + " bytes");
  }
  const std::size_t tail = static_cast<std::size_t>(entry_size_ % kBlock);
  entry_size_ = 0;
  if (tail == 0) return {};
  return Emit(std::string_view(kZeroBlock.data(), kBlock - tail));
}

Result<void> TarWriter::WriteHeader(const TarEntry& e) {
  if (finished_) return MakeError(ErrorCode::kFailedPrecondition, "tar stream already ended");
  BT_TRY(Validate(e));
  BT_TRY(PadEntry());

  const PaxPlan plan = PlanPax(e);
  Block b{};
  std::string_view name = e.path;
  if (plan.ustar_possible) {
    if (const auto split = SplitUstarPath(e.path)) {
      PutString(b, kPrefix, split->first);
      name = split->second;
    }
    PutString(b, kName, name);
    PutString(b, kLinkname, e.link_target);
  } else {
    std::string data;
    for (const auto& [key, value] : plan.records) data += PaxRecord(key, value);
    Block x{};
    x[kTypeflag] = 'x';
    PutString(x, kName, PaxHeaderName(e.path));
    PutOctal(x, kMode, 0);
    PutOctal(x, kUid, 0);
    PutOctal(x, kGid, 0);
    PutOctal(x, kSize, data.size());
    PutOctal(x, kMtime, 0);
    SetUstarMagicAndChecksum(x);
    BT_TRY(Emit(std::string_view(x.data(), x.size())));
    BT_TRY(Emit(data));
    if (data.size() % kBlock != 0) {
      BT_TRY(Emit(std::string_view(kZeroBlock.data(), kBlock - data.size() % kBlock)));
    }
    PutString(b, kName, ToAscii(e.path));
    PutString(b, kLinkname, ToAscii(e.link_target));
  }
  b[kTypeflag] = static_cast<char>(e.type);
  PutOctal(b, kMode, e.mode);
  PutOctal(b, kUid, e.uid);
  PutOctal(b, kGid, e.gid);
  PutOctal(b, kSize, e.size);
  PutOctal(b, kMtime,
           FitsOctalSigned(kMtime.size, e.mtime_sec) ? static_cast<std::uint64_t>(e.mtime_sec) : 0);
  // uname and gname stay empty: ids only, as containerd writes layers (no user lookups).
  PutOctal(b, kDevMajor, e.dev_major);
  PutOctal(b, kDevMinor, e.dev_minor);
  SetUstarMagicAndChecksum(b);
  BT_TRY(Emit(std::string_view(b.data(), b.size())));
  remaining_ = e.size;
  entry_size_ = e.size;
  return {};
}

Result<void> TarWriter::WriteData(std::string_view bytes) {
  if (finished_) return MakeError(ErrorCode::kFailedPrecondition, "tar stream already ended");
  if (bytes.size() > remaining_) {
    return MakeError(ErrorCode::kInvalidArgument, "more content than the tar entry's size");
  }
  remaining_ -= bytes.size();
  return Emit(bytes);
}

Result<void> TarWriter::Finish() {
  if (finished_) return MakeError(ErrorCode::kFailedPrecondition, "tar stream already ended");
  BT_TRY(PadEntry());
  BT_TRY(Emit(std::string_view(kZeroBlock.data(), kBlock)));
  BT_TRY(Emit(std::string_view(kZeroBlock.data(), kBlock)));
  finished_ = true;
  return {};
}

}  // namespace bt::exporter
