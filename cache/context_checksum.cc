#include "cache/context_checksum.h"

#include <xxhash.h>

namespace bt::cache {
namespace {

// Stores `v` as N little-endian bytes at `p` and returns the end. Encodings are built in
// fixed buffers and appended at once: a warm scan encodes a header for every file.
template <int N>
char* Store(char* p, uint64_t v) {
  for (int i = 0; i < N; ++i) p[i] = static_cast<char>(v >> (8 * i));
  return p + N;
}

char TypeTag(ContextNodeType t) {
  switch (t) {
    case ContextNodeType::kRegular: return 'F';
    case ContextNodeType::kDirectory: return 'D';
    case ContextNodeType::kSymlink: return 'L';
    case ContextNodeType::kCharDevice: return 'C';
    case ContextNodeType::kBlockDevice: return 'B';
    case ContextNodeType::kFifo: return 'P';
    case ContextNodeType::kSocket: return 'S';
  }
  return '?';
}

}  // namespace

Checksum128 HashBytes(std::string_view data) {
  const XXH128_hash_t h = XXH3_128bits(data.data(), data.size());
  return Checksum128{h.high64, h.low64};
}

void AppendU32(std::string* out, uint32_t v) {
  char b[4];
  out->append(b, Store<4>(b, v));
}

void AppendU64(std::string* out, uint64_t v) {
  char b[8];
  out->append(b, Store<8>(b, v));
}

void AppendChecksum(std::string* out, const Checksum128& c) {
  char b[16];
  out->append(b, Store<8>(Store<8>(b, c.high), c.low));
}

void AppendHeader(const ContextNode& n, std::string* out) {
  char b[33];
  char* p = b;
  *p++ = TypeTag(n.type);
  p = Store<4>(p, n.mode);
  p = Store<4>(p, n.uid);
  p = Store<4>(p, n.gid);
  p = Store<8>(p, n.size);
  p = Store<4>(p, n.rdev_major);
  p = Store<4>(p, n.rdev_minor);
  p = Store<4>(p, n.link_target.size());
  out->append(b, p);
  out->append(n.link_target);
}

Checksum128 LeafChecksum(const ContextNode& node, const Checksum128* content,
                         std::string* scratch) {
  scratch->clear();
  AppendHeader(node, scratch);
  if (content != nullptr) AppendChecksum(scratch, *content);
  return HashBytes(*scratch);
}

DirChecksumBuilder::DirChecksumBuilder(const ContextNode& dir, Header header,
                                       uint64_t child_count, std::string* scratch)
    : buf_(scratch) {
  buf_->clear();
  if (header == Header::kInclude) AppendHeader(dir, buf_);
  AppendU64(buf_, child_count);
}

void DirChecksumBuilder::AddChild(std::string_view name, const Checksum128& checksum) {
  AppendU32(buf_, static_cast<uint32_t>(name.size()));
  buf_->append(name);
  AppendChecksum(buf_, checksum);
}

Checksum128 DirChecksumBuilder::Finish() const { return HashBytes(*buf_); }

}  // namespace bt::cache
