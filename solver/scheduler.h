// Solve: builds a BuildDefinition's target (BuildKit's solver, for one build). In order:
//   1. the vertices the target needs;
//   2. their sources: each local build context is scanned (only the paths the build reads,
//      through the root's shared stat cache) so keys can cover selected content;
//   3. every needed vertex's cache key (solver/cache_key.h);
//   4. the plan, from the target down, in one DB transaction: a vertex whose key has a record
//      is cached — it and everything below it is neither run nor materialised (a fully
//      cached build touches no snapshot content) — and its snapshots join the build's lease
//      so no concurrent prune takes them; the rest must run;
//   5. the steps that must run, on oneTBB: a step starts when its inputs are done, at most
//      `jobs` at a time, identical vertices once (the graph merged them). The first failure
//      cancels the rest: steps not started never start, running ones see `canceled`; nothing
//      a failed or canceled step made is recorded. Each successful step's outputs are
//      recorded under its key as soon as it finishes, so an interrupted build keeps them.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "cache/cache_root.h"
#include "cache/lease.h"
#include "solver/ir.h"
#include "solver/progress.h"
#include "solver/step_runner.h"

namespace bt::solver {

struct SolveOptions {
  std::size_t jobs = 0;                    // steps running at once; 0: DefaultJobs()
  bool no_cache = false;                   // --no-cache: run every step
  std::set<std::string> no_cache_stages;   // --no-cache-filter: run these stages' steps
  std::map<std::string, std::string> local_contexts;  // LocalSource name -> directory
  ProgressSink* progress = nullptr;        // nullptr: no events
  const std::atomic<bool>* interrupt = nullptr;  // set (e.g. on SIGINT) to stop the build
  // Where views of snapshots are mounted for content-based keys; empty: the root's tmp/.
  std::string scratch_dir;
};

struct SolveStats {
  std::size_t executed = 0;  // steps run
  std::size_t cached = 0;    // steps whose result came from the cache (by either key)
  std::size_t content_hits = 0;  // of those, found by the content of what they read
  std::size_t local_sources = 0;  // build contexts scanned
};

struct SolveResult {
  Tree target;  // EmptyTree when the definition has no target (FROM scratch, nothing else)
  SolveStats stats;
};

// How many steps run at once without --jobs: max(16, 2 x CPUs). Steps are mostly processes
// and I/O, which do not need a core each; BuildKit sets no bound at all. Four stages that each
// sleep run in the time of one (../shared/bench parallel-stages).
std::size_t DefaultJobs();

// kCancelled when `interrupt` was set; a step's own error otherwise (its message names the
// step). `lease` must outlive the result's use: it holds every snapshot the result names.
Result<SolveResult> Solve(const ir::BuildDefinition& definition, cache::CacheRoot& root,
                          cache::Lease& lease, StepRunner& runner, const SolveOptions& options);

}  // namespace bt::solver
