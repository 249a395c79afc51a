// Cache keys (ARCHITECTURE.md "Key types"): key(op) = SHA-256 of the op's digest and, per
// input, either the input's own key or — when the input is a local build context read through
// selectors (COPY sources, bind-mount subpaths) — the checksums of just the selected content,
// so editing a file no step reads keeps every step cached. A key never depends on when or
// where the build runs, only on the definition and the content it reads.
//
// Encoding hashed (version 1), integers little-endian:
//   "buildtool cache key v1\0" | 32 bytes op digest | u32 input count | per input:
//     'K' | 32 bytes key of the input vertex | u32 output index          (another vertex)
//     'L' | u32 n | n selections                                        (a local context)
//   and for a source vertex, after its inputs: 'C' | its content identity (a local context's
//   root checksum, an HTTP download's digest).
//   selection = u32 action or mount index | str selector | u8 follow final symlink
//               | u8 found (1: then 16 bytes XXH3-128 high, low; 0: then str reason)
//   str = u32 length, bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/result.h"
#include "cache/context_scanner.h"
#include "cache/portable_context_digest.h"
#include "oci/digest.h"
#include "solver/ir.h"

namespace bt::solver {

// What a source vertex's content turned out to be when the build resolved it.
struct NoSourceContent {};          // not a source, or one pinned by its definition (image)
struct DownloadedContent {          // an HTTP source: the digest of the bytes fetched
  oci::Digest digest;
};
using SourceContent =
    std::variant<NoSourceContent, const cache::ContextTree*, DownloadedContent>;

// One path an op reads from one of its inputs: a COPY source (`index`: the action) or a bind or
// cache mount's subpath (`index`: the mount), and whether a final symlink is followed.
struct InputSelection {
  std::uint32_t index = 0;
  std::string selector;
  bool follow = false;
};
// What `op` selects from its input `input`, in action/mount order; empty when it reads the
// input whole (a base, a merge, a diff).
std::vector<InputSelection> SelectionsOf(const ir::Op& op, ir::InputIndex input);

// Every vertex's key, indexed by VertexId. `sources[v]` is the content of source vertex v (a
// ContextTree pointer for local sources, which must outlive the call); vertices not needed
// by the build may hold NoSourceContent, their keys are then only definition-based.
std::vector<oci::Digest> ComputeCacheKeys(const ir::Graph& graph,
                                          const std::vector<SourceContent>& sources);

// A content-based key (BuildKit's "slow" key), made when a step is about to run because its
// definition key missed: every input the step reads through selectors is keyed by the
// checksums of the selected content, whatever built it, and every other input by the key its
// result is known by (the content-based key it was found or recorded under, else its
// definition key). A COPY --from of a stage that re-ran but made the same files finds the
// result it made before, and so does every step after it. Encoding (version 1):
//   "buildtool content key v1\0" | 32 bytes op digest | u32 input count | per input:
//     'K' | 32 bytes key | u32 output index   or   'S' | selections as 'L' above
struct ContentKeyInput {
  oci::Digest key;                          // when `selected` is null
  std::uint32_t output = 0;
  const cache::ContextTree* selected = nullptr;  // the scanned selected content
};
oci::Digest ContentCacheKey(const ir::Graph& graph, ir::VertexId v,
                            const std::vector<ContentKeyInput>& inputs);

// Keys that may leave the machine (an exported build cache, issue 8). The local keys above
// rest on XXH3-128 checksums of the context, which someone who controls one build's context
// could make collide with another's; a key shared through a registry must not. Portable keys
// follow the same definition with every local-context selection keyed by its SHA-256 digest
// (cache/portable_context_digest.h), and a local source vertex's own key leaves its content
// out: steps read a context only through selections, and a source's result is never
// exported. Encoding (version 1), as above except:
//   "buildtool portable key v1\0" | ... | 'L' selections with, per found selection, the 32
//   bytes of its SHA-256 digest in place of the XXH3-128 halves; no 'C' for a local source.
// Errors: a context file that can no longer be read as the scan saw it (kIo,
// kFailedPrecondition). A selection that names nothing is keyed by why, as locally.
using PortableSourceContent =
    std::variant<NoSourceContent, cache::PortableContextDigests*, DownloadedContent>;
Result<std::vector<oci::Digest>> ComputePortableCacheKeys(
    const ir::Graph& graph, const std::vector<PortableSourceContent>& sources);

}  // namespace bt::solver
