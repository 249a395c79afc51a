// The IR: the only contract between frontend/ and solver/ (STYLE.md 2.8). A build is a DAG
// of Ops; an Op reads its inputs (outputs of earlier Ops) and produces outputs. Every Op has a
// canonical byte encoding (ir_encoding.h) and a SHA-256 digest of it, in which each input
// appears as the digest of the Op it comes from, so identical Ops are one vertex wherever they
// come from. What must not change an Op's identity (source locations, display names) lives
// beside the graph in BuildDefinition::metadata. Immutable once built; share it as
// std::shared_ptr<const BuildDefinition> and read it from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/result.h"
#include "oci/digest.h"
#include "oci/image_config.h"
#include "oci/platform.h"

namespace bt::ir {

using VertexId = std::uint32_t;  // index into Graph; inputs always have smaller ids

// An input of an Op: output `output` of vertex `vertex`.
struct Edge {
  VertexId vertex = 0;
  std::uint32_t output = 0;
  auto operator<=>(const Edge&) const = default;
};

// Index into Op::inputs; kScratch means "no input: an empty tree".
using InputIndex = std::int32_t;
inline constexpr InputIndex kScratch = -1;

// ---- SourceOp: where content enters the graph ----

enum class ResolveMode { kDefault, kForcePull, kPreferLocal };

struct ImageSource {
  std::string reference;        // normalized: docker.io/library/busybox:latest
  oci::Digest manifest_digest;  // pinned after resolution; zero when not resolved
  oci::Platform platform;
  ResolveMode resolve_mode = ResolveMode::kDefault;
};

// A named build context ("context" for the main one). Patterns use .dockerignore syntax;
// include patterns come from the COPY/ADD sources that read this context, so that only the
// needed files are read and hashed.
struct LocalSource {
  std::string name;
  std::vector<std::string> include_patterns;  // empty: everything
  std::vector<std::string> exclude_patterns;  // from .dockerignore
  std::vector<std::string> follow_paths;      // paths whose symlinks are followed
};

struct HttpSource {
  std::string url;
  oci::Digest checksum;      // zero when ADD has no --checksum
  std::string filename;      // name of the file in the result tree
  std::uint32_t mode = 0600;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

struct GitSource {
  std::string remote;  // normalized URL
  std::string ref;     // branch, tag or commit; empty: the default branch
  std::string subdir;
  bool keep_git_dir = false;
  std::string checksum;  // expected commit, when given
};

struct SourceOp {
  std::variant<ImageSource, LocalSource, HttpSource, GitSource> source;
};

// ---- ExecOp: a process in a sandbox ----

enum class NetMode { kSandbox, kHost, kNone };
enum class SecurityMode { kSandbox, kInsecure };
enum class CacheSharing { kShared, kPrivate, kLocked };

struct BindMount {
  InputIndex source = kScratch;
  std::string selector;  // path inside the source; empty: its root
  bool readonly = true;
};
struct CacheMount {
  std::string id;  // the cache's identity (defaults to the target path in lowering)
  CacheSharing sharing = CacheSharing::kShared;
  InputIndex source = kScratch;  // `from=`: initial contents
  std::string selector;
  bool readonly = false;
  std::uint32_t mode = 0755;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};
struct TmpfsMount {
  std::uint64_t size_bytes = 0;  // 0: the kernel's default
};
struct SecretMount {
  std::string id;
  std::uint32_t mode = 0400;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  bool required = false;
};
struct SshMount {
  std::string id;  // "default" when not given
  std::uint32_t mode = 0600;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  bool required = true;
};

struct Mount {
  std::string dest;  // absolute path inside the container; "/" for the root mount
  std::variant<BindMount, CacheMount, TmpfsMount, SecretMount, SshMount> kind;
  // The output index this mount's final contents become; absent for mounts whose changes
  // are discarded. The root mount is output 0.
  std::optional<std::uint32_t> output;
};

struct SecretEnv {
  std::string id;
  std::string name;  // environment variable
  bool required = false;
};

struct ExtraHost {
  std::string host;
  std::string ip;
};

struct ExecOp {
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // ordered, as the process sees it
  std::string cwd = "/";
  std::string user;  // as written: "name", "uid", "uid:gid", "name:group"; empty: root
  std::string hostname;
  std::vector<ExtraHost> extra_hosts;
  std::vector<std::pair<std::string, std::string>> proxy_env;  // kept out of the cache key
  std::vector<Mount> mounts;  // mounts[0] is "/"
  NetMode network = NetMode::kSandbox;
  SecurityMode security = SecurityMode::kSandbox;
  std::vector<SecretEnv> secret_env;
};

// ---- FileOp: file actions applied in order to one tree ----

// A user or group, by id or by name (resolved against the base tree's /etc/passwd, group).
using UserSpec = std::variant<std::uint32_t, std::string>;
struct Chown {
  UserSpec user;
  std::optional<UserSpec> group;  // absent: the user's primary group
};

struct CopyAction {
  InputIndex source = kScratch;
  std::string src;   // path (or wildcard pattern) inside the source
  std::string dest;  // path inside the tree being built
  std::optional<Chown> owner;
  std::optional<std::uint32_t> mode;  // numeric --chmod
  std::string mode_expression;        // symbolic --chmod (u+x,g-w); empty when numeric/none
  bool follow_symlinks = false;
  bool copy_dir_contents = false;  // a directory source copies its contents, not itself
  bool unpack_archive = false;     // ADD of a local tar
  bool create_dest_path = false;
  bool allow_wildcard = false;
  bool allow_empty_wildcard = false;
  bool always_replace_existing = false;
  bool parents = false;  // COPY --parents
  std::vector<std::string> include_patterns;
  std::vector<std::string> exclude_patterns;  // COPY --exclude
  std::optional<std::int64_t> timestamp;       // seconds since the epoch
};
struct MkdirAction {
  std::string path;
  std::uint32_t mode = 0755;
  bool make_parents = false;
  std::optional<Chown> owner;
  std::optional<std::int64_t> timestamp;
};
struct MkfileAction {
  std::string path;
  std::uint32_t mode = 0644;
  std::string data;
  std::optional<Chown> owner;
  std::optional<std::int64_t> timestamp;
};
struct RmAction {
  std::string path;
  bool allow_not_found = false;
  bool allow_wildcard = false;
};
struct SymlinkAction {
  std::string target;    // what the link points to
  std::string linkpath;  // where the link is created
  std::optional<Chown> owner;
  std::optional<std::int64_t> timestamp;
};

using FileAction = std::variant<CopyAction, MkdirAction, MkfileAction, RmAction, SymlinkAction>;

struct FileOp {
  InputIndex base = kScratch;  // the tree the actions apply to; output 0 is the result
  std::vector<FileAction> actions;
};

// ---- MergeOp and DiffOp ----

struct MergeOp {};  // stacks every input, in order (COPY --link)
struct DiffOp {
  InputIndex lower = kScratch;
  InputIndex upper = kScratch;
};

struct Op {
  std::vector<Edge> inputs;
  std::variant<SourceOp, ExecOp, FileOp, MergeOp, DiffOp> body;
  oci::Platform platform;  // the platform the op runs for
};

// The DAG. Add() keeps the vertices in topological order and merges identical Ops.
class Graph {
 public:
  // Adds op (its inputs must already be in the graph) and returns its id; an Op whose digest
  // is already present returns the existing vertex.
  VertexId Add(Op op);

  std::size_t size() const { return ops_.size(); }
  const Op& op(VertexId id) const { return ops_[id]; }
  const oci::Digest& digest(VertexId id) const { return digests_[id]; }
  std::optional<VertexId> Find(const oci::Digest& digest) const;

 private:
  std::vector<Op> ops_;
  std::vector<oci::Digest> digests_;
  std::map<oci::Digest, VertexId> by_digest_;
};

// What a vertex is for the people reading errors and progress. Not part of any digest.
struct OpMetadata {
  std::string description;              // "[build 3/5] RUN make"
  std::optional<SourceRange> location;  // the Dockerfile lines it came from
  std::set<std::string> stages;         // the stages it belongs to (--no-cache-filter)
};

// What the frontend hands to the solver.
struct BuildDefinition {
  Graph graph;
  std::optional<Edge> target;     // absent: the result is an empty tree (FROM scratch only)
  oci::ImageConfig image_config;  // the config of the image the target becomes
  std::map<oci::Digest, OpMetadata> metadata;  // keyed by vertex digest
};

}  // namespace bt::ir
