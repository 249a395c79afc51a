#include "cache/stat_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <xxhash.h>

#include "base/atomic_file.h"
#include "base/unique_fd.h"

namespace bt::cache {
namespace {

constexpr std::string_view kMagic("btstatc\0", 8);
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 8 + 4 + 4 + 8;
constexpr size_t kEntryFixedSize = 4 + 8 * 5 + 4 + 8 * 2;  // without the path bytes
constexpr size_t kMaxPathLength = 1 << 20;

int64_t Nanos(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// Reads little-endian integers from a buffer; any overrun sets `ok` to false.
struct Reader {
  std::string_view data;
  bool ok = true;
  uint64_t Get(int bytes) {
    if (data.size() < static_cast<size_t>(bytes)) {
      ok = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(data[i])} << (8 * i);
    data.remove_prefix(bytes);
    return v;
  }
  std::string_view Bytes(size_t n) {
    if (data.size() < n) {
      ok = false;
      return {};
    }
    std::string_view v = data.substr(0, n);
    data.remove_prefix(n);
    return v;
  }
};

Result<int64_t> FileMtimeNs(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError("stat", path, errno);
  return Nanos(st.st_mtim);
}

}  // namespace

std::string Checksum128::Hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = kDigits[(high >> (4 * i)) & 0xF];
    out[31 - i] = kDigits[(low >> (4 * i)) & 0xF];
  }
  return out;
}

StatIdentity StatIdentity::Of(const struct stat& st) {
  return StatIdentity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                      static_cast<uint64_t>(st.st_size), Nanos(st.st_mtim), Nanos(st.st_ctim),
                      static_cast<uint32_t>(st.st_mode)};
}

Result<StatCache> StatCache::Load(std::string path) {
  StatCache cache(std::move(path));
  UniqueFd fd(::open(cache.path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) {
    if (errno == ENOENT) return cache;
    return ErrnoError("open stat cache", cache.path_, errno);
  }
  std::string data;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read stat cache", cache.path_, errno);
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  BT_ASSIGN_OR_RETURN(const int64_t mtime_ns, FileMtimeNs(fd.get(), cache.path_));
  cache.Parse(data);
  cache.DropRacy(mtime_ns);
  return cache;
}

void StatCache::Parse(std::string_view data) {
  if (data.size() < kHeaderSize + 8) return;
  const std::string_view body = data.substr(0, data.size() - 8);
  Reader trailer{data.substr(data.size() - 8)};
  if (trailer.Get(8) != XXH3_64bits(body.data(), body.size())) return;
  Reader r{body};
  if (r.Bytes(8) != kMagic || r.Get(4) != kVersion || r.Get(4) != 0) return;
  const uint64_t count = r.Get(8);
  if (count > body.size() / kEntryFixedSize) return;
  std::unordered_map<std::string, Entry> entries;
  entries.reserve(count);
  for (uint64_t i = 0; i < count && r.ok; ++i) {
    const uint64_t len = r.Get(4);
    if (len > kMaxPathLength) return;
    std::string p(r.Bytes(len));
    Entry e;
    e.id.dev = r.Get(8);
    e.id.ino = r.Get(8);
    e.id.size = r.Get(8);
    e.id.mtime_ns = static_cast<int64_t>(r.Get(8));
    e.id.ctime_ns = static_cast<int64_t>(r.Get(8));
    e.id.mode = static_cast<uint32_t>(r.Get(4));
    e.checksum.high = r.Get(8);
    e.checksum.low = r.Get(8);
    entries.emplace(std::move(p), e);
  }
  if (!r.ok || !r.data.empty()) return;
  entries_ = std::move(entries);
}

void StatCache::DropRacy(int64_t cache_mtime_ns) {
  std::erase_if(entries_, [&](const auto& kv) {
    return kv.second.id.mtime_ns >= cache_mtime_ns || kv.second.id.ctime_ns >= cache_mtime_ns;
  });
}

std::optional<Checksum128> StatCache::Lookup(std::string_view rel_path, const StatIdentity& id) {
  auto it = entries_.find(std::string(rel_path));
  if (it == entries_.end() || !(it->second.id == id)) return std::nullopt;
  it->second.live = true;
  return it->second.checksum;
}

void StatCache::Insert(std::string rel_path, const StatIdentity& id, Checksum128 checksum) {
  entries_.insert_or_assign(std::move(rel_path), Entry{id, checksum, /*live=*/true});
}

Result<void> StatCache::Save() {
  std::erase_if(entries_, [](const auto& kv) { return !kv.second.live; });
  std::vector<const std::pair<const std::string, Entry>*> sorted;
  sorted.reserve(entries_.size());
  for (const auto& kv : entries_) sorted.push_back(&kv);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });

  std::string out;
  out.reserve(kHeaderSize + sorted.size() * (kEntryFixedSize + 32) + 8);
  out.append(kMagic);
  PutU32(&out, kVersion);
  PutU32(&out, 0);
  PutU64(&out, sorted.size());
  for (const auto* kv : sorted) {
    const Entry& e = kv->second;
    PutU32(&out, static_cast<uint32_t>(kv->first.size()));
    out.append(kv->first);
    PutU64(&out, e.id.dev);
    PutU64(&out, e.id.ino);
    PutU64(&out, e.id.size);
    PutU64(&out, static_cast<uint64_t>(e.id.mtime_ns));
    PutU64(&out, static_cast<uint64_t>(e.id.ctime_ns));
    PutU32(&out, e.id.mode);
    PutU64(&out, e.checksum.high);
    PutU64(&out, e.checksum.low);
  }
  PutU64(&out, XXH3_64bits(out.data(), out.size()));

  BT_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(path_, 0600));
  BT_TRY(file.Write(out));
  BT_TRY(file.Commit());
  // The new file's mtime decides which of the entries are trusted from now on.
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return ErrnoError("open stat cache", path_, errno);
  BT_ASSIGN_OR_RETURN(const int64_t mtime_ns, FileMtimeNs(fd.get(), path_));
  DropRacy(mtime_ns);
  for (auto& kv : entries_) kv.second.live = false;
  return {};
}

}  // namespace bt::cache
