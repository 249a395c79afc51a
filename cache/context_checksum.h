// The byte encodings whose XXH3-128 hashes are the checksums of a ContextTree
// (cache/context_scanner.h). They are a cache-key format: changing a byte changes every
// context checksum and so invalidates every cached step that reads a build context. All
// integers are little-endian. Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cache/context_scanner.h"

namespace bt::cache {

Checksum128 HashBytes(std::string_view data);

void AppendU32(std::string* out, uint32_t v);
void AppendU64(std::string* out, uint64_t v);
// high half, then low half
void AppendChecksum(std::string* out, const Checksum128& c);

// A node's header: type tag ('F', 'D', 'L', 'C', 'B', 'P', 'S'), u32 mode, u32 uid, u32 gid,
// u64 size, u32 rdev major, u32 rdev minor, u32 link target length, target bytes. No
// timestamps: touching a file must not change its checksum. The tag also keeps a file's and
// a link's bytes apart.
void AppendHeader(const ContextNode& node, std::string* out);

// A regular file: its header, then the XXH3-128 of its content. Any other non-directory:
// its header alone (pass nullptr). `scratch` is reused to spare an allocation per node.
Checksum128 LeafChecksum(const ContextNode& node, const Checksum128* content,
                         std::string* scratch);

// Builds a directory's checksum: [its header], u64 child count, then per child in name
// order: u32 name length, name, checksum. The root leaves its header out (ContextTree).
class DirChecksumBuilder {
 public:
  enum class Header { kInclude, kOmit };
  DirChecksumBuilder(const ContextNode& dir, Header header, uint64_t child_count,
                     std::string* scratch);
  void AddChild(std::string_view name, const Checksum128& checksum);
  Checksum128 Finish() const;

 private:
  std::string* buf_;
};

}  // namespace bt::cache
