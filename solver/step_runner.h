// StepRunner: how the scheduler (solver/scheduler.h) gets one vertex's outputs made. The
// scheduler decides what runs, in which order and with which inputs; a StepRunner does the
// work of one op — file operations, a process in the sandbox, a download — on trees it is
// handed, and returns committed snapshots. Implementations must be thread-safe: independent
// steps run at the same time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/result.h"
#include "cache/cache_root.h"
#include "cache/context_scanner.h"
#include "cache/path_patterns.h"
#include "solver/ir.h"
#include "solver/progress.h"

namespace bt::solver {

// A tree a step reads: nothing (scratch), a committed snapshot chain, or a local build context
// read in place through its .dockerignore excludes.
struct EmptyTree {};
struct SnapshotTree {
  std::string id;  // a committed snapshot, held by the build's lease
};
struct LocalTree {
  std::string dir;                           // absolute
  const cache::PathPatterns* excludes;       // what the build must not see; never null
  const cache::ContextTree* tree;            // as scanned for the keys; never null
};
using Tree = std::variant<EmptyTree, SnapshotTree, LocalTree>;

// One output of a step: a committed snapshot, already held by the build's lease.
struct StepOutput {
  std::string snapshot_id;
  std::uint64_t size_bytes = 0;  // of the snapshot's own diff
  // What the snapshot holds, when the step knows it by content (a download: file name, body
  // digest, mtime): the steps that read it are keyed by this rather than by the definition.
  std::optional<oci::Digest> content;
};

// What a running step may use besides its inputs.
struct StepContext {
  ir::VertexId vertex = 0;
  oci::Digest digest;  // the vertex digest (progress events name the step by it)
  std::string name;    // for people: "[stage-1 2/3] COPY a /b"
  cache::CacheRoot* root = nullptr;
  // Adds a snapshot to the build's lease inside `txn`: call it in the same transaction that
  // records a new active snapshot, before anything is written into it. Thread-safe.
  std::function<Result<void>(cache::WriteTxn& txn, const std::string& snapshot_id)> hold;
  // Adds blobs to the build's lease (a write transaction of its own), so that prune leaves
  // them alone while the step reads them (a base image's manifest, config and layers).
  // Thread-safe.
  std::function<Result<void>(const std::vector<oci::Digest>& blobs)> hold_blobs;
  const std::atomic<bool>* canceled = nullptr;   // another step failed
  const std::atomic<bool>* interrupt = nullptr;  // the user interrupted the build
  ProgressSink* progress = nullptr;              // never null

  // True once the build is stopping: a running step gives up as soon as it can.
  bool Stopping() const {
    return (canceled != nullptr && canceled->load()) || (interrupt != nullptr && interrupt->load());
  }
};

class StepRunner {
 public:
  virtual ~StepRunner() = default;
  // Runs `op` on `inputs` (inputs[i] is op.inputs[i]'s tree) and returns one output per
  // output of the op (1 for every op but an ExecOp with output mounts). New snapshots are
  // committed and held before this returns; on failure, nothing it made may remain trusted
  // (remove active snapshots; a crash leaves them for `du --check`).
  virtual Result<std::vector<StepOutput>> Run(const StepContext& ctx, const ir::Op& op,
                                              const std::vector<Tree>& inputs) = 0;
};

}  // namespace bt::solver
