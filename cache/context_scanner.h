// ContextScanner walks a build-context directory and computes XXH3-128 checksums arranged
// as a tree, like BuildKit's cache/contenthash: a file's checksum covers its header (type,
// permission bits with setuid/setgid/sticky, uid, gid, size, symlink target, device
// numbers; never timestamps) and its content; a directory's covers its own header and its
// children's names and checksums in name order. ContextTree::ChecksumOf then answers for
// any path or glob, so a step that reads `src/*.go` depends only on those files.
// Paths excluded by the PathPatterns, or outside the IncludePatterns, never reach a checksum
// and are never read. Every file is opened relative
// to its directory's fd with O_NOFOLLOW, so symlinks are hashed as links and never
// followed, and nothing outside the context is read. A StatCache, when given, spares the
// reads of files whose stat identity is unchanged. A scan runs on several threads (oneTBB),
// yet the tree, its node order and every checksum depend only on what is on disk. A
// ContextScanner is used by one thread at a time; a ContextTree is immutable and may be shared.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cache/include_patterns.h"
#include "cache/path_patterns.h"
#include "cache/stat_cache.h"

namespace bt::cache {

enum class ContextNodeType : uint8_t {
  kRegular,
  kDirectory,
  kSymlink,
  kCharDevice,
  kBlockDevice,
  kFifo,
  kSocket,
};

struct ContextNode {
  std::string name;  // one path component; empty for the root
  ContextNodeType type = ContextNodeType::kRegular;
  uint32_t mode = 0;  // st_mode & 07777: permissions plus setuid, setgid, sticky
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;  // regular files only; 0 otherwise
  uint32_t rdev_major = 0;  // character and block devices only
  uint32_t rdev_minor = 0;
  std::string link_target;  // symlinks only, as readlink returns it
  Checksum128 checksum;     // of the header and the content (see the top of this file)
  std::vector<uint32_t> children;  // directories: indices into ContextTree::nodes(), by name
};

class ContextTree {
 public:
  // The checksum of what `selector` names: a path relative to the context root (cleaned;
  // "", "." and "/" are the root, whose own header is left out because it belongs to
  // wherever the context was checked out), or a glob in .dockerignore syntax (when it
  // contains '*', '?', '[' or '\\'), whose checksum combines every matching path and its
  // checksum in path order. Symlinks in the middle of a path are resolved inside the tree
  // (absolute targets from the context root, ".." stopping at the root); a final symlink
  // is the link itself. kNotFound when nothing matches (excluded paths do not exist);
  // kInvalidArgument for a bad glob or a symlink loop. With kFollow, a selected path that is
  // a symlink stands for what it points to (resolved inside the tree), as COPY copies it.
  // A glob's literal leading directories are resolved as a path first ("link/*.txt" with link
  // a symlink to real/ matches real's files, named under link/).
  //
  // `absent`, when given, receives every path the resolution looked up and did not find
  // (resolved, relative, without a leading '/'). A scan restricted by include patterns has not
  // looked at paths outside them, so a symlink leading out of what the patterns name makes a
  // lookup fail that a full scan would have satisfied: the caller scans again with those paths
  // included (see ScanFollowingSymlinks), as BuildKit follows the paths a build reads.
  enum class FinalSymlink { kAsLink, kFollow };
  Result<Checksum128> ChecksumOf(std::string_view selector,
                                 FinalSymlink final = FinalSymlink::kAsLink,
                                 std::vector<std::string>* absent = nullptr) const;

  // What ChecksumOf hashes for `selector`: a path's one node, or a glob's matches in path order,
  // each with the path the pattern named it by and the node that stands for it (the link's
  // target when following). Errors as ChecksumOf's. Other digests of the same selection
  // (cache/portable_context_digest.h) combine these the same way.
  struct Selected {
    bool glob = false;
    std::vector<std::pair<std::string, uint32_t>> matches;  // path ("" for a path), node index
  };
  Result<Selected> Select(std::string_view selector, FinalSymlink final = FinalSymlink::kAsLink,
                          std::vector<std::string>* absent = nullptr) const;

  // The node at a cleaned relative path without resolving symlinks, or nullptr.
  const ContextNode* Find(std::string_view path) const;
  const ContextNode& root() const { return nodes_[0]; }
  const std::vector<ContextNode>& nodes() const { return nodes_; }

 private:
  friend class ContextScanner;
  Result<uint32_t> Resolve(std::string_view path, FinalSymlink final,
                           std::vector<std::string>* absent) const;

  std::vector<ContextNode> nodes_;  // nodes_[0] is the root
};

// What a scan did, summed over its threads; the warm-scan tests and the benchmark read it.
struct ScanStats {
  uint64_t entries_stated = 0;  // entries stated (fstatat, or fstat of a file opened first)
  uint64_t files_opened = 0;    // regular files opened to hash their content
  uint64_t bytes_read = 0;      // content bytes hashed
  uint64_t cache_hits = 0;      // regular files whose checksum came from the StatCache
};

struct ContextScanOptions {
  const PathPatterns* excludes = nullptr;     // not owned; nullptr excludes nothing
  const IncludePatterns* includes = nullptr;  // not owned; nullptr includes everything
  StatCache* stat_cache = nullptr;         // not owned; nullptr reads every file
  // At most this many threads scan; 0 uses the oneTBB arena the caller runs in (outside
  // one, a thread per core). 1 scans on the calling thread alone.
  int threads = 0;
};

class ContextScanner {
 public:
  explicit ContextScanner(ContextScanOptions options);
  ContextScanner(const ContextScanner&) = delete;
  ContextScanner& operator=(const ContextScanner&) = delete;

  // Scans the directory `context_dir`. kIo (with the relative path) when an entry cannot
  // be read, naming the first such entry in tree order; an entry deleted during the scan is
  // left out. The stat cache is updated in memory; saving it is the caller's choice.
  Result<ContextTree> Scan(std::string_view context_dir);

  const ScanStats& stats() const { return stats_; }

 private:
  ContextScanOptions options_;
  ScanStats stats_;
};

}  // namespace bt::cache
