// The file actions executor/fileop applies: plain data mirroring solver/ir.h's FileOp actions
// field for field (same names, same defaults), so that the solver translates one into the
// other member by member; executor/ may not include the IR itself (ARCHITECTURE.md, the
// layering test). Paths are as the Dockerfile wrote them after lowering: absolute or
// relative, both taken from the root of their tree. Plain values; no invariants beyond the
// field comments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace bt::executor {

// A user or group by id or by name; names are looked up in the destination tree's
// /etc/passwd and /etc/group (ir::UserSpec).
using UserSpec = std::variant<std::uint32_t, std::string>;

// --chown (ir::Chown). Without a group: a user given by name gets its primary group from
// /etc/passwd, a user given by id gets the same number as gid (BuildKit's readUser).
struct Owner {
  UserSpec user;
  std::optional<UserSpec> group;
};

// Index of a source tree (ir::InputIndex); kScratch is an empty tree.
using SourceIndex = std::int32_t;
inline constexpr SourceIndex kScratch = -1;

struct CopySpec {
  SourceIndex source = kScratch;
  std::string src;   // path or wildcard pattern inside the source tree
  std::string dest;  // path inside the destination tree; a trailing '/' makes it a directory
  std::optional<Owner> owner;
  std::optional<std::uint32_t> mode;  // numeric --chmod
  std::string mode_expression;        // symbolic --chmod (u+x,g-w); empty when numeric/none
  bool follow_symlinks = false;       // for `src` itself; never below it
  bool copy_dir_contents = false;     // a directory source copies its contents, not itself
  bool unpack_archive = false;        // ADD: a tar (plain, gzip, bzip2, xz, zstd) is extracted
  bool create_dest_path = false;
  bool allow_wildcard = false;
  bool allow_empty_wildcard = false;
  bool always_replace_existing = false;
  bool parents = false;  // COPY --parents: include_patterns[0] names a path that must exist
  std::vector<std::string> include_patterns;
  std::vector<std::string> exclude_patterns;  // COPY --exclude
  std::optional<std::int64_t> timestamp;       // seconds since the epoch
};

struct MkdirSpec {
  std::string path;
  std::uint32_t mode = 0755;
  bool make_parents = false;
  std::optional<Owner> owner;
  std::optional<std::int64_t> timestamp;
};

struct MkfileSpec {
  std::string path;
  std::uint32_t mode = 0644;
  std::string data;
  std::optional<Owner> owner;
  std::optional<std::int64_t> timestamp;
};

struct RmSpec {
  std::string path;
  bool allow_not_found = false;
  bool allow_wildcard = false;
};

struct SymlinkSpec {
  std::string target;    // what the link points to, stored verbatim
  std::string linkpath;  // where the link is created
  std::optional<Owner> owner;
  std::optional<std::int64_t> timestamp;
};

using FileActionSpec = std::variant<CopySpec, MkdirSpec, MkfileSpec, RmSpec, SymlinkSpec>;

}  // namespace bt::executor
