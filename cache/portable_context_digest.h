// PortableContextDigests: the SHA-256 counterparts of a ContextTree's checksums, for cache keys
// that leave the machine (an exported build cache, issue 8). A ContextTree's checksums are
// XXH3-128 (ARCHITECTURE.md "Hashing": fast, for local fingerprints), which is no defence
// against someone who crafts a file to collide with another: a key shared through a registry
// must not rest on it. The digests here use the encodings of cache/context_checksum.h with
// SHA-256 in place of XXH3-128 — a regular file is its header and the SHA-256 of its content,
// a directory its header (left out for the root), its child count and each child's name and
// digest, a glob 'G' and each match's path and digest — so they select exactly what the
// checksums select (ContextTree::Select), and do not depend on where the context is, on
// timestamps or on the machine.
//
// Files are read again, on demand and at most once each, from the directory the tree was
// scanned from: each through its path in the tree, opened component by component with
// O_NOFOLLOW, so nothing outside the context is read. A file that is no longer what the scan
// saw (not a regular file, another size) is kFailedPrecondition: the context changed during
// the build. Used by one thread at a time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "cache/context_scanner.h"
#include "oci/digest.h"

namespace bt::cache {

class PortableContextDigests {
 public:
  // `tree` must outlive this and have been scanned from `context_dir`.
  PortableContextDigests(const ContextTree& tree, std::string context_dir);

  // The digest of what `selector` names, as ContextTree::ChecksumOf selects it. Errors as
  // ChecksumOf's, and kIo / kFailedPrecondition for a file that cannot be read again.
  Result<oci::Digest> DigestOf(std::string_view selector,
                               ContextTree::FinalSymlink final = ContextTree::FinalSymlink::kAsLink);
  // The same for a selection already made (ContextTree::Select): only reading errors.
  Result<oci::Digest> DigestOf(const ContextTree::Selected& selected);

  const ContextTree& tree() const { return tree_; }
  // Bytes of file content hashed so far (each file once).
  std::uint64_t bytes_read() const { return bytes_read_; }

 private:
  Result<oci::Digest> NodeDigest(std::uint32_t index);
  Result<oci::Digest> FileContentDigest(std::uint32_t index);
  // The node's path from the root, its names joined by '/'.
  std::vector<std::string_view> PathOf(std::uint32_t index) const;

  const ContextTree& tree_;
  std::string context_dir_;
  std::vector<std::uint32_t> parent_;            // per node; the root is its own parent
  std::vector<std::optional<oci::Digest>> memo_;  // per node
  UniqueFd root_;
  std::uint64_t bytes_read_ = 0;
};

}  // namespace bt::cache
