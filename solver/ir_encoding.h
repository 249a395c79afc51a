// The canonical byte encoding of an Op, and its SHA-256 digest: the identity of a vertex.
// Two Ops encode to the same bytes exactly when they have the same fields and inputs whose
// vertices have the same digests, so identical steps from different stages (or builds) are
// one vertex. Pure functions over immutable data; thread-safe.
//
// The encoding is identity, not the cache key. Every field of the Op is encoded, including
// ExecOp::proxy_env; the cache-key code (solver/ops/) works from its own copy of the op and
// blanks what must not invalidate the cache, as BuildKit's ExecOp.CacheMap does. Keeping the
// two apart means a change in cache policy never changes vertex identity, and vice versa.
//
// ---- Format, version 1 ----
//
// The bytes are only ever hashed, never decoded, so the one property that matters is that
// the encoding is injective: it could be parsed back unambiguously given this schema, because
// every variable-length item carries its length and every choice carries a tag. Fixed-width
// little-endian integers were chosen over LEB128 because ops are small (size does not matter)
// and because the bytes can then be checked by hand against this text (ir_encoding_test.cc).
// Nothing depends on pointer values, std::hash, unordered containers, or the declaration
// order of C++ enumerators and variant alternatives: every number below is written out in
// ir_encoding.cc by an explicit switch or visitor, so reordering ir.h changes no digest.
//
// Primitives:
//   u8        1 byte
//   u32       4 bytes, little-endian
//   i32       4 bytes, little-endian two's complement (InputIndex; kScratch = ff ff ff ff)
//   u64, i64  8 bytes, little-endian (i64 two's complement)
//   bool      u8: 00 false, 01 true
//   string    u32 byte count, then the bytes as stored (no terminator, no normalization;
//             bytes need not be UTF-8: MkfileAction::data may be binary)
//   digest    the 32 raw SHA-256 bytes (the algorithm is implied: only sha256 exists; a
//             second algorithm needs a new version); a zero digest is 32 zero bytes
//   list<T>   u32 element count, then each element in the order stored
//   opt<T>    u8 00 (absent), or u8 01 then T
//   enum      u8, the value given in the tables below
//   variant   u8 alternative tag (the tables below; tag 0 is never used), then the alternative
//   struct    each field in the order listed: u8 field tag (1, 2, 3, ... as listed), then the
//             value. Every field is always written, defaults included, so there is no
//             "omitted when default" rule whose meaning could drift. Tags are redundant for
//             parsing but make a hex dump readable and any misordering visible in review.
//
// Document (the whole encoding):
//   4 bytes "btir" (62 74 69 72), which names the bytes in a dump and keeps op digests apart
//   from digests of other encodings that start with their own marker (cache keys); then
//   u32 version = 1; then Op.
//
// Structs (field tag: name type):
//   Op            1 inputs list<Edge>, 2 body variant Body, 3 platform Platform
//   Edge          1 vertex digest (the digest of the input's vertex, never its VertexId),
//                 2 output u32
//   Platform      1 os string, 2 architecture string, 3 variant string
//   Body          variant: 1 SourceOp, 2 ExecOp, 3 FileOp, 4 MergeOp, 5 DiffOp
//
//   SourceOp      1 source variant: 1 ImageSource, 2 LocalSource, 3 HttpSource, 4 GitSource
//   ImageSource   1 reference string, 2 manifest_digest digest, 3 platform Platform,
//                 4 resolve_mode enum ResolveMode
//   LocalSource   1 name string, 2 include_patterns list<string>,
//                 3 exclude_patterns list<string>, 4 follow_paths list<string>
//   HttpSource    1 url string, 2 checksum digest, 3 filename string, 4 mode u32, 5 uid u32,
//                 6 gid u32
//   GitSource     1 remote string, 2 ref string, 3 subdir string, 4 keep_git_dir bool,
//                 5 checksum string
//
//   ExecOp        1 args list<string>, 2 env list<KeyValue>, 3 cwd string, 4 user string,
//                 5 hostname string, 6 extra_hosts list<ExtraHost>, 7 proxy_env list<KeyValue>,
//                 8 mounts list<Mount>, 9 network enum NetMode, 10 security enum SecurityMode,
//                 11 secret_env list<SecretEnv>
//   KeyValue      1 key string, 2 value string        (one std::pair of env or proxy_env)
//   ExtraHost     1 host string, 2 ip string
//   SecretEnv     1 id string, 2 name string, 3 required bool
//   Mount         1 dest string, 2 kind variant: 1 BindMount, 2 CacheMount, 3 TmpfsMount,
//                 4 SecretMount, 5 SshMount; 3 output opt<u32>
//   BindMount     1 source i32, 2 selector string, 3 readonly bool
//   CacheMount    1 id string, 2 sharing enum CacheSharing, 3 source i32, 4 selector string,
//                 5 readonly bool, 6 mode u32, 7 uid u32, 8 gid u32
//   TmpfsMount    1 size_bytes u64
//   SecretMount   1 id string, 2 mode u32, 3 uid u32, 4 gid u32, 5 required bool
//   SshMount      1 id string, 2 mode u32, 3 uid u32, 4 gid u32, 5 required bool
//
//   FileOp        1 base i32, 2 actions list<variant: 1 CopyAction, 2 MkdirAction,
//                 3 MkfileAction, 4 RmAction, 5 SymlinkAction>
//   CopyAction    1 source i32, 2 src string, 3 dest string, 4 owner opt<Chown>,
//                 5 mode opt<u32>, 6 mode_expression string, 7 follow_symlinks bool,
//                 8 copy_dir_contents bool, 9 unpack_archive bool, 10 create_dest_path bool,
//                 11 allow_wildcard bool, 12 allow_empty_wildcard bool,
//                 13 always_replace_existing bool, 14 parents bool,
//                 15 include_patterns list<string>, 16 exclude_patterns list<string>,
//                 17 timestamp opt<i64>
//   MkdirAction   1 path string, 2 mode u32, 3 make_parents bool, 4 owner opt<Chown>,
//                 5 timestamp opt<i64>
//   MkfileAction  1 path string, 2 mode u32, 3 data string, 4 owner opt<Chown>,
//                 5 timestamp opt<i64>
//   RmAction      1 path string, 2 allow_not_found bool, 3 allow_wildcard bool
//   SymlinkAction 1 target string, 2 linkpath string, 3 owner opt<Chown>, 4 timestamp opt<i64>
//   Chown         1 user UserSpec, 2 group opt<UserSpec>
//   UserSpec      variant: 1 id u32, 2 name string
//
//   MergeOp       no fields (its meaning is entirely in Op.inputs)
//   DiffOp        1 lower i32, 2 upper i32
//
// Enums (the numbers follow BuildKit's solver/pb/ops.proto where it has the same enum, so
// the two can be compared side by side):
//   ResolveMode   0 default, 1 force_pull, 2 prefer_local
//   NetMode       0 sandbox, 1 host, 2 none
//   SecurityMode  0 sandbox, 1 insecure
//   CacheSharing  0 shared, 1 private, 2 locked
//
// Compatibility: any change to this schema (a field, a tag, an enum value, a primitive)
// bumps the version, which changes every digest. That is intended: vertex identity must not
// silently carry over between two different meanings of the same bytes.
#pragma once

#include <cstdint>
#include <string>

#include "oci/digest.h"
#include "solver/ir.h"

namespace bt::ir {

inline constexpr std::uint32_t kEncodingVersion = 1;

// The canonical bytes of op. Every input edge of op must refer to a vertex of graph (checked:
// a dangling edge is a programming error); only those vertices' digests are read.
std::string EncodeOp(const Op& op, const Graph& graph);

// SHA-256 of EncodeOp(op, graph): the digest Graph::Add gives the op's vertex.
oci::Digest DigestOp(const Op& op, const Graph& graph);

}  // namespace bt::ir
