#include "cache/metadata_encoding.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace bt::cache {
namespace {

std::int64_t ToNanos(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

Timestamp FromNanos(std::int64_t ns) {
  return Timestamp(std::chrono::duration_cast<Timestamp::duration>(std::chrono::nanoseconds(ns)));
}

class Writer {
 public:
  void U8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(std::uint32_t v) { Fixed(v, 4); }
  void U64(std::uint64_t v) { Fixed(v, 8); }
  void I32(std::int32_t v) { U32(static_cast<std::uint32_t>(v)); }
  void Time(Timestamp t) { U64(static_cast<std::uint64_t>(ToNanos(t))); }
  void Str(std::string_view s) {
    U32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  void Raw(const void* data, std::size_t size) {
    out_.append(static_cast<const char*>(data), size);
  }
  std::string Take() { return std::move(out_); }

 private:
  void Fixed(std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

// Reads fields in order; the first failure sticks and every later read returns zero values,
// so decoders read straight through and check ok() once.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  std::uint8_t U8() { return static_cast<std::uint8_t>(Fixed(1)); }
  std::uint32_t U32() { return static_cast<std::uint32_t>(Fixed(4)); }
  std::uint64_t U64() { return Fixed(8); }
  std::int32_t I32() { return static_cast<std::int32_t>(U32()); }
  Timestamp Time() { return FromNanos(static_cast<std::int64_t>(U64())); }
  std::string Str() {
    const std::uint32_t size = U32();
    if (!Need(size)) return {};
    std::string s(in_.substr(pos_, size));
    pos_ += size;
    return s;
  }
  bool Raw(void* out, std::size_t size) {
    if (!Need(size)) return false;
    std::memcpy(out, in_.data() + pos_, size);
    pos_ += size;
    return true;
  }
  // A list count, refused when even minimal items (min_item bytes each) could not fit.
  std::uint32_t Count(std::size_t min_item) {
    const std::uint32_t n = U32();
    if (ok_ && n > (in_.size() - pos_) / min_item) ok_ = false;
    return ok_ ? n : 0;
  }
  void Fail() { ok_ = false; }
  bool ok() const { return ok_; }
  bool done() const { return ok_ && pos_ == in_.size(); }

 private:
  bool Need(std::size_t size) {
    if (ok_ && size > in_.size() - pos_) ok_ = false;
    return ok_;
  }
  std::uint64_t Fixed(int bytes) {
    if (!Need(static_cast<std::size_t>(bytes))) return 0;
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += static_cast<std::size_t>(bytes);
    return v;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// Checks the version byte: kDataLoss for 0, kFailedPrecondition for a newer one.
Result<std::uint8_t> ReadVersion(Reader& r, std::uint8_t newest, std::string_view what) {
  const std::uint8_t version = r.U8();
  if (!r.ok() || version == 0) {
    return MakeError(ErrorCode::kDataLoss, std::string(what) + ": corrupt record (no version)");
  }
  if (version > newest) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     std::string(what) + ": record version " + std::to_string(version) +
                         " was written by a newer buildtool (this one reads up to " +
                         std::to_string(newest) + ")");
  }
  return version;
}

// list<32 raw bytes>: sha256 digests.
void WriteDigests(Writer& w, const std::vector<oci::Digest>& digests) {
  w.U32(static_cast<std::uint32_t>(digests.size()));
  for (const oci::Digest& d : digests) w.Raw(d.bytes().data(), oci::Digest::kSize);
}
std::vector<oci::Digest> ReadDigests(Reader& r) {
  std::vector<oci::Digest> out;
  const std::uint32_t n = r.Count(oci::Digest::kSize);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    std::array<std::uint8_t, oci::Digest::kSize> bytes{};
    if (r.Raw(bytes.data(), bytes.size())) out.emplace_back(bytes);
  }
  return out;
}

Error Corrupt(std::string_view what) {
  return MakeError(ErrorCode::kDataLoss, std::string(what) + ": corrupt record");
}

}  // namespace

std::string EncodeCacheRecord(const CacheRecord& record) {
  Writer w;
  w.U8(kCacheRecordVersion);
  w.U32(static_cast<std::uint32_t>(record.snapshot_ids.size()));
  for (const std::string& id : record.snapshot_ids) w.Str(id);
  WriteDigests(w, record.blobs);
  w.Str(record.output_metadata);
  w.U64(record.size_bytes);
  w.Time(record.created);
  w.Time(record.last_used);
  w.Str(record.description);
  return w.Take();
}

Result<CacheRecord> DecodeCacheRecord(const oci::Digest& key, std::string_view value) {
  const std::string what = "cache record " + key.ToString();
  Reader r(value);
  BT_ASSIGN_OR_RETURN(const std::uint8_t version, ReadVersion(r, kCacheRecordVersion, what));
  CacheRecord record;
  record.key = key;
  const std::uint32_t n = r.Count(4);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) record.snapshot_ids.push_back(r.Str());
  if (version >= 2) record.blobs = ReadDigests(r);
  record.output_metadata = r.Str();
  record.size_bytes = r.U64();
  record.created = r.Time();
  record.last_used = r.Time();
  record.description = r.Str();
  if (!r.done()) return Corrupt(what);
  return record;
}

std::string EncodeSnapshotRecord(const SnapshotRecord& record) {
  Writer w;
  w.U8(kSnapshotRecordVersion);
  w.U8(static_cast<std::uint8_t>(record.kind));
  w.U8(record.parent.has_value() ? 1 : 0);
  if (record.parent) w.Str(*record.parent);
  w.U64(record.size_bytes);
  w.Time(record.created);
  w.U32(record.refcount);
  return w.Take();
}

Result<SnapshotRecord> DecodeSnapshotRecord(std::string_view id, std::string_view value) {
  const std::string what = "snapshot record " + std::string(id);
  Reader r(value);
  BT_TRY(ReadVersion(r, kSnapshotRecordVersion, what));
  SnapshotRecord record;
  record.id = std::string(id);
  const std::uint8_t kind = r.U8();
  if (kind != static_cast<std::uint8_t>(SnapshotKind::kActive) &&
      kind != static_cast<std::uint8_t>(SnapshotKind::kCommitted)) {
    r.Fail();
  }
  record.kind = static_cast<SnapshotKind>(kind);
  const std::uint8_t has_parent = r.U8();
  if (has_parent > 1) r.Fail();
  if (has_parent == 1) record.parent = r.Str();
  record.size_bytes = r.U64();
  record.created = r.Time();
  record.refcount = r.U32();
  if (!r.done()) return Corrupt(what);
  return record;
}

std::string EncodeLeaseRecord(const LeaseRecord& record) {
  Writer w;
  w.U8(kLeaseRecordVersion);
  w.I32(record.owner_pid);
  w.Str(record.lock_path);
  w.Time(record.created);
  w.U32(static_cast<std::uint32_t>(record.snapshot_ids.size()));
  for (const std::string& id : record.snapshot_ids) w.Str(id);
  WriteDigests(w, record.blobs);
  return w.Take();
}

Result<LeaseRecord> DecodeLeaseRecord(std::string_view id, std::string_view value) {
  const std::string what = "lease record " + std::string(id);
  Reader r(value);
  BT_TRY(ReadVersion(r, kLeaseRecordVersion, what));
  LeaseRecord record;
  record.id = std::string(id);
  record.owner_pid = r.I32();
  record.lock_path = r.Str();
  record.created = r.Time();
  const std::uint32_t snapshots = r.Count(4);
  for (std::uint32_t i = 0; i < snapshots && r.ok(); ++i) record.snapshot_ids.push_back(r.Str());
  record.blobs = ReadDigests(r);
  if (!r.done()) return Corrupt(what);
  return record;
}

std::string EncodeStatCacheContext(const StatCacheContext& context) {
  Writer w;
  w.U8(kStatCacheVersion);
  w.Str(context.dir);
  w.Time(context.last_used);
  return w.Take();
}

Result<StatCacheContext> DecodeStatCacheContext(const ContextKey& key, std::string_view value) {
  const std::string what = "stat cache context";
  Reader r(value);
  BT_TRY(ReadVersion(r, kStatCacheVersion, what));
  StatCacheContext context;
  context.key = key;
  context.dir = r.Str();
  context.last_used = r.Time();
  if (!r.done()) return Corrupt(what);
  return context;
}

std::string EncodeStatCacheEntry(const StatCacheEntry& entry) {
  Writer w;
  w.U8(kStatCacheVersion);
  w.U64(entry.identity.dev);
  w.U64(entry.identity.ino);
  w.U64(entry.identity.size);
  w.U64(static_cast<std::uint64_t>(entry.identity.mtime_ns));
  w.U64(static_cast<std::uint64_t>(entry.identity.ctime_ns));
  w.U32(entry.identity.mode);
  w.U64(entry.checksum.high);
  w.U64(entry.checksum.low);
  return w.Take();
}

Result<StatCacheEntry> DecodeStatCacheEntry(std::string_view path, std::string_view value) {
  // Runs for every file of a context at every build: the record's name is spelled out only
  // for an error.
  const auto what = [path] { return "stat cache entry " + std::string(path); };
  Reader r(value);
  const std::uint8_t version = value.empty() ? 0 : static_cast<std::uint8_t>(value[0]);
  if (version == 0 || version > kStatCacheVersion) {
    BT_TRY(ReadVersion(r, kStatCacheVersion, what()));
  }
  r.U8();
  StatCacheEntry entry;
  entry.path = std::string(path);
  entry.identity.dev = r.U64();
  entry.identity.ino = r.U64();
  entry.identity.size = r.U64();
  entry.identity.mtime_ns = static_cast<std::int64_t>(r.U64());
  entry.identity.ctime_ns = static_cast<std::int64_t>(r.U64());
  entry.identity.mode = r.U32();
  entry.checksum.high = r.U64();
  entry.checksum.low = r.U64();
  if (!r.done()) return Corrupt(what());
  return entry;
}

}  // namespace bt::cache
