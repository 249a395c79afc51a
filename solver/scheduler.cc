#include "solver/scheduler.h"

#include <tbb/global_control.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "cache/include_patterns.h"
#include "cache/stat_cache.h"
#include "solver/cache_key.h"
#include "solver/ir_overloaded.h"
#include "solver/local_scan.h"

namespace bt::solver {
namespace {

EventTime Now() { return std::chrono::system_clock::now(); }

// A build context scanned for this build.
struct LocalContext {
  std::string dir;
  cache::PathPatterns excludes;
  cache::ContextTree tree;
};

enum class Plan { kUnneeded, kLocal, kCached, kRun };

struct Vertex {
  Plan plan = Plan::kUnneeded;
  bool ignore_cache = false;
  std::vector<Tree> outputs;             // filled when cached, local or done
  std::vector<ir::VertexId> dependents;  // kRun vertices waiting for this one (kRun only)
  std::atomic<int> pending{0};           // kRun inputs not yet done
  bool started = false;                  // guarded by Solver::mu_
};

class Solver {
 public:
  Solver(const ir::BuildDefinition& def, cache::CacheRoot& root, cache::Lease& lease,
         StepRunner& runner, const SolveOptions& options)
      : def_(def),
        graph_(def.graph),
        root_(root),
        lease_(lease),
        runner_(runner),
        options_(options),
        progress_(options.progress != nullptr ? options.progress : &null_progress_),
        vertices_(graph_.size()) {}

  Result<SolveResult> Run() {
    SolveResult result;
    if (!def_.target) {
      result.target = EmptyTree{};
      return result;
    }
    MarkNeeded(def_.target->vertex);
    BT_TRY(ScanLocalSources());
    BT_TRY(FetchUnpinnedDownloads());
    keys_ = ComputeCacheKeys(graph_, sources_);
    result_keys_ = keys_;
    BT_TRY(PlanFromTarget());
    BT_TRY(Execute());
    const Vertex& target = vertices_[def_.target->vertex];
    if (def_.target->output >= target.outputs.size()) {
      return MakeError(ErrorCode::kInternal, "the target output " +
                                                 std::to_string(def_.target->output) +
                                                 " does not exist");
    }
    result.target = target.outputs[def_.target->output];
    result.stats = stats_;
    return result;
  }

 private:
  const std::string& NameOf(ir::VertexId v) const {
    auto it = def_.metadata.find(graph_.digest(v));
    if (it != def_.metadata.end() && !it->second.description.empty()) {
      return it->second.description;
    }
    static const std::string kUnnamed = "[internal] step";
    return kUnnamed;
  }

  void Emit(ir::VertexId v, VertexState state, std::string error = {}) {
    VertexEvent e;
    e.vertex = graph_.digest(v);
    e.name = NameOf(v);
    for (const ir::Edge& in : graph_.op(v).inputs) e.inputs.push_back(graph_.digest(in.vertex));
    e.state = state;
    e.time = Now();
    e.error = std::move(error);
    progress_->Emit(e);
  }

  void MarkNeeded(ir::VertexId target) {
    std::vector<ir::VertexId> stack{target};
    std::vector<bool> seen(graph_.size(), false);
    while (!stack.empty()) {
      const ir::VertexId v = stack.back();
      stack.pop_back();
      if (seen[v]) continue;
      seen[v] = true;
      needed_.push_back(v);
      for (const ir::Edge& in : graph_.op(v).inputs) stack.push_back(in.vertex);
    }
    std::sort(needed_.begin(), needed_.end());  // topological: Graph::Add order
  }

  // Scans every needed local source; the trees stay alive for the keys and the steps.
  Result<void> ScanLocalSources() {
    sources_.assign(graph_.size(), NoSourceContent{});
    for (const ir::VertexId v : needed_) {
      const auto* source = std::get_if<ir::SourceOp>(&graph_.op(v).body);
      if (source == nullptr) continue;
      const auto* local = std::get_if<ir::LocalSource>(&source->source);
      if (local == nullptr) continue;
      auto it = options_.local_contexts.find(local->name);
      if (it == options_.local_contexts.end()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "the build needs a local context named \"" + local->name +
                             "\", and none was given");
      }
      Emit(v, VertexState::kStarted);
      Result<std::unique_ptr<LocalContext>> scanned = Scan(v, it->second, *local);
      if (!scanned) {
        Emit(v, VertexState::kFailed, scanned.error().message);
        return std::move(scanned).error();
      }
      sources_[v] = &(*scanned)->tree;
      vertices_[v].plan = Plan::kLocal;
      vertices_[v].outputs = {
          LocalTree{(*scanned)->dir, &(*scanned)->excludes, &(*scanned)->tree}};
      locals_.push_back(std::move(*scanned));
      ++stats_.local_sources;
      Emit(v, VertexState::kCompleted);
    }
    return {};
  }

  // An ADD of a URL without --checksum may give other bytes on every build, so, as BuildKit
  // does, it is fetched before the keys are made and what reads it is keyed by what came:
  // unchanged content keeps the steps after it cached. (Pinned URLs are keyed by their
  // checksum and fetched only when a step needs them.)
  Result<void> FetchUnpinnedDownloads() {
    for (const ir::VertexId v : needed_) {
      const auto* source = std::get_if<ir::SourceOp>(&graph_.op(v).body);
      if (source == nullptr) continue;
      const auto* http = std::get_if<ir::HttpSource>(&source->source);
      if (http == nullptr || !http->checksum.is_zero()) continue;
      const StepContext ctx = ContextFor(v);
      Emit(v, VertexState::kStarted);
      Result<std::vector<StepOutput>> outputs = runner_.Run(ctx, graph_.op(v), {});
      if (!outputs || outputs->size() != 1 || !outputs->front().content) {
        Error e = outputs ? MakeError(ErrorCode::kInternal, "a download without its content digest")
                          : std::move(outputs).error();
        Emit(v, Interrupted() ? VertexState::kCanceled : VertexState::kFailed, e.message);
        auto meta = def_.metadata.find(graph_.digest(v));
        if (!e.where && meta != def_.metadata.end()) e.where = meta->second.location;
        return std::move(e).Wrap(NameOf(v));
      }
      sources_[v] = DownloadedContent{*outputs->front().content};
      vertices_[v].plan = Plan::kLocal;  // here already: nothing to run or look up
      vertices_[v].outputs = {SnapshotTree{outputs->front().snapshot_id}};
      ++stats_.executed;
      Emit(v, VertexState::kCompleted);
    }
    return {};
  }

  // What a step gets besides its inputs.
  StepContext ContextFor(ir::VertexId v) {
    StepContext ctx;
    ctx.vertex = v;
    ctx.digest = graph_.digest(v);
    ctx.name = NameOf(v);
    ctx.root = &root_;
    ctx.hold = [this](cache::WriteTxn& txn, const std::string& id) { return HoldLocked(txn, id); };
    ctx.hold_blobs = [this](const std::vector<oci::Digest>& blobs) -> Result<void> {
      return root_.db().Update([&](cache::WriteTxn& txn) -> Result<void> {
        std::lock_guard<std::mutex> lock(lease_mu_);
        for (const oci::Digest& d : blobs) BT_TRY(lease_.AddBlob(txn, d));
        return {};
      });
    };
    ctx.canceled = &canceled_;
    ctx.interrupt = options_.interrupt;
    ctx.progress = progress_;
    return ctx;
  }

  // Everything the needed steps select from vertex `source`; a step reading it whole counts
  // as selecting its root.
  std::vector<InputSelection> SelectionsFrom(ir::VertexId source) const {
    std::vector<InputSelection> out;
    for (const ir::VertexId u : needed_) {
      const ir::Op& op = graph_.op(u);
      for (std::size_t i = 0; i < op.inputs.size(); ++i) {
        if (op.inputs[i].vertex != source) continue;
        std::vector<InputSelection> some = SelectionsOf(op, static_cast<ir::InputIndex>(i));
        if (some.empty()) some.push_back(InputSelection{0, "/", false});
        for (InputSelection& s : some) out.push_back(std::move(s));
      }
    }
    return out;
  }

  Result<std::unique_ptr<LocalContext>> Scan(ir::VertexId v, const std::string& dir,
                                             const ir::LocalSource& local) {
    BT_ASSIGN_OR_RETURN(cache::PathPatterns excludes,
                        cache::PathPatterns::Parse(local.exclude_patterns));
    BT_ASSIGN_OR_RETURN(cache::StatCache stat_cache, cache::StatCache::Load(root_.db(), dir));
    LocalScanRequest request;
    request.dir = stat_cache.dir();
    request.excludes = &excludes;
    request.include_patterns = local.include_patterns;
    request.selections = SelectionsFrom(v);
    request.stat_cache = &stat_cache;
    BT_ASSIGN_OR_RETURN(LocalScanResult scanned, ScanFollowingSymlinks(request));
    BT_TRY(stat_cache.Save());
    StatusEvent status;
    status.vertex = graph_.digest(v);
    status.id = "transferring context";
    status.current = scanned.stats.bytes_read;
    status.time = Now();
    status.done = true;
    progress_->Emit(status);
    return std::make_unique<LocalContext>(
        LocalContext{stat_cache.dir(), std::move(excludes), std::move(scanned.tree)});
  }

  bool IgnoresCache(ir::VertexId v) const {
    const ir::Op& op = graph_.op(v);
    if (const auto* source = std::get_if<ir::SourceOp>(&op.body)) {
      // A build context is scanned on every build; what reads it is keyed by its content.
      if (std::holds_alternative<ir::LocalSource>(source->source)) return false;
    }
    if (options_.no_cache) return true;
    if (options_.no_cache_stages.empty()) return false;
    auto it = def_.metadata.find(graph_.digest(v));
    if (it == def_.metadata.end()) return false;
    for (const std::string& stage : it->second.stages) {
      if (options_.no_cache_stages.count(stage)) return true;
    }
    return false;
  }

  // Decides, from the target down, what is cached and what runs, in one write transaction:
  // a cached record's snapshots join the lease before any prune can see them unheld.
  Result<void> PlanFromTarget() {
    return root_.db().Update([&](cache::WriteTxn& txn) -> Result<void> {
      for (const ir::VertexId v : needed_) {
        Vertex& vertex = vertices_[v];
        if (vertex.plan != Plan::kLocal) vertex.plan = Plan::kUnneeded;
        // A step that re-runs may give a different result, so what reads it re-runs too.
        vertex.ignore_cache = IgnoresCache(v);
        for (const ir::Edge& in : graph_.op(v).inputs) {
          vertex.ignore_cache = vertex.ignore_cache || vertices_[in.vertex].ignore_cache;
        }
      }
      std::vector<ir::VertexId> stack{def_.target->vertex};
      const cache::Timestamp now = std::chrono::system_clock::now();
      while (!stack.empty()) {
        const ir::VertexId v = stack.back();
        stack.pop_back();
        Vertex& vertex = vertices_[v];
        if (vertex.plan != Plan::kUnneeded) continue;
        if (!vertex.ignore_cache) {
          BT_ASSIGN_OR_RETURN(std::optional<cache::CacheRecord> record,
                              txn.GetCacheRecord(keys_[v]));
          if (record) {
            BT_TRY(txn.TouchLastUsed(record->key, now));
            vertex.outputs.clear();
            for (const std::string& id : record->snapshot_ids) {
              BT_TRY(HoldLocked(txn, id));
              vertex.outputs.push_back(SnapshotTree{id});
            }
            vertex.plan = Plan::kCached;
            continue;
          }
        }
        vertex.plan = Plan::kRun;
        for (const ir::Edge& in : graph_.op(v).inputs) stack.push_back(in.vertex);
      }
      return {};
    });
  }

  Result<void> HoldLocked(cache::WriteTxn& txn, const std::string& id) {
    std::lock_guard<std::mutex> lock(lease_mu_);
    return lease_.AddSnapshot(txn, id);
  }

  Result<void> Execute() {
    std::vector<ir::VertexId> ready;
    for (const ir::VertexId v : needed_) {
      Vertex& vertex = vertices_[v];
      if (vertex.plan == Plan::kCached) {
        ++stats_.cached;
        Emit(v, VertexState::kCached);
      }
      if (vertex.plan != Plan::kRun) continue;
      int pending = 0;
      for (const ir::Edge& in : graph_.op(v).inputs) {
        Vertex& input = vertices_[in.vertex];
        if (input.plan != Plan::kRun) continue;
        // An op reading one input twice waits for it once per edge; completion counts down
        // once per dependent edge as well.
        input.dependents.push_back(v);
        ++pending;
      }
      vertex.pending.store(pending);
      if (pending == 0) ready.push_back(v);
    }
    const std::size_t jobs = options_.jobs != 0 ? options_.jobs : DefaultJobs();
    // A step mostly waits (for a sandboxed process, a download, the disk), so the bound is
    // the number of steps, not of cores: TBB's process-wide limit (the number of CPUs by
    // default) is raised to it for as long as the steps run.
    tbb::global_control parallelism(tbb::global_control::max_allowed_parallelism, jobs);
    tbb::task_arena arena(static_cast<int>(jobs));
    tbb::task_group group;
    arena.execute([&] {
      for (const ir::VertexId v : ready) Spawn(group, v);
      group.wait();
    });
    // Steps that never started because the build stopped.
    for (const ir::VertexId v : needed_) {
      if (vertices_[v].plan == Plan::kRun && !vertices_[v].started) {
        Emit(v, VertexState::kCanceled);
      }
    }
    if (first_error_) return *first_error_;
    if (Interrupted()) return MakeError(ErrorCode::kCancelled, "the build was interrupted");
    return {};
  }

  bool Interrupted() const {
    return options_.interrupt != nullptr && options_.interrupt->load();
  }

  void Spawn(tbb::task_group& group, ir::VertexId v) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (canceled_.load() || Interrupted()) return;
      vertices_[v].started = true;
    }
    group.run([this, &group, v] {
      const bool ok = RunStep(v);
      if (!ok) return;
      for (const ir::VertexId d : vertices_[v].dependents) {
        if (vertices_[d].pending.fetch_sub(1) == 1) Spawn(group, d);
      }
    });
  }

  // Runs one step and records its outputs; false when it failed or the build stopped.
  bool RunStep(ir::VertexId v) {
    const ir::Op& op = graph_.op(v);
    std::vector<Tree> inputs;
    for (const ir::Edge& in : op.inputs) {
      const Vertex& input = vertices_[in.vertex];
      if (in.output >= input.outputs.size()) {
        Fail(v, MakeError(ErrorCode::kInternal, "input output " + std::to_string(in.output) +
                                                    " of " + NameOf(in.vertex) + " is missing"));
        return false;
      }
      inputs.push_back(input.outputs[in.output]);
    }
    if (!vertices_[v].ignore_cache) {
      Result<bool> found = FindByContent(v, inputs);
      if (!found) {
        Fail(v, std::move(found).error().Wrap("compute the content-based cache key"));
        return false;
      }
      if (*found) return true;
    }
    const StepContext ctx = ContextFor(v);
    Emit(v, VertexState::kStarted);
    Result<std::vector<StepOutput>> outputs = runner_.Run(ctx, op, inputs);
    if (outputs && (canceled_.load() || Interrupted())) {
      // Finished while the build was stopping: its result is whole, but the build is over and
      // a step the user interrupted must not come back as cached.
      outputs = MakeError(ErrorCode::kCancelled, "the build is stopping");
    }
    if (outputs) {
      Result<void> recorded = Record(v, *outputs);
      if (!recorded) outputs = std::move(recorded).error();
    }
    if (!outputs) {
      if (canceled_.load() || Interrupted()) {
        Emit(v, VertexState::kCanceled);
        canceled_.store(true);
        return false;
      }
      Fail(v, std::move(outputs).error());
      return false;
    }
    Vertex& vertex = vertices_[v];
    vertex.outputs.clear();
    for (const StepOutput& out : *outputs) vertex.outputs.push_back(SnapshotTree{out.snapshot_id});
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.executed;
    }
    Emit(v, VertexState::kCompleted);
    return true;
  }

  // A step whose definition key missed may still have run before on the same content (see
  // ContentCacheKey): when an input is read through selectors from a step's result, or an
  // input's result is known by a content-based key, the step's content-based key is made and
  // looked up. A hit is the step's result, recorded under its definition key too so that the
  // next build plans it cached. True when found (the step is done); result_keys_[v] is the key
  // the step's result is known by either way.
  Result<bool> FindByContent(ir::VertexId v, const std::vector<Tree>& inputs) {
    const ir::Op& op = graph_.op(v);
    std::vector<ContentKeyInput> parts(op.inputs.size());
    std::vector<std::unique_ptr<cache::ContextTree>> scanned;
    bool by_content = false;
    for (std::size_t i = 0; i < op.inputs.size(); ++i) {
      const ir::Edge& edge = op.inputs[i];
      if (const auto* local = std::get_if<const cache::ContextTree*>(&sources_[edge.vertex]);
          local != nullptr && *local != nullptr) {
        parts[i].selected = *local;  // a build context: content-keyed already
        continue;
      }
      std::vector<InputSelection> selections =
          SelectionsOf(op, static_cast<ir::InputIndex>(i));
      if (!selections.empty() && !std::holds_alternative<EmptyTree>(inputs[i])) {
        BT_ASSIGN_OR_RETURN(cache::ContextTree tree,
                            ScanSelectedContent(root_, ScratchDir(), inputs[i], selections));
        scanned.push_back(std::make_unique<cache::ContextTree>(std::move(tree)));
        parts[i].selected = scanned.back().get();
        by_content = true;
        continue;
      }
      parts[i].key = result_keys_[edge.vertex];
      parts[i].output = edge.output;
      by_content = by_content || result_keys_[edge.vertex] != keys_[edge.vertex];
    }
    if (!by_content) return false;
    const oci::Digest content_key = ContentCacheKey(graph_, v, parts);
    result_keys_[v] = content_key;
    std::vector<std::string> ids;
    const cache::Timestamp now = std::chrono::system_clock::now();
    BT_TRY(root_.db().Update([&](cache::WriteTxn& txn) -> Result<void> {
      ids.clear();
      BT_ASSIGN_OR_RETURN(std::optional<cache::CacheRecord> record,
                          txn.GetCacheRecord(content_key));
      if (!record) return {};
      BT_TRY(txn.TouchLastUsed(record->key, now));
      for (const std::string& id : record->snapshot_ids) BT_TRY(HoldLocked(txn, id));
      cache::CacheRecord alias = *record;
      alias.key = keys_[v];
      alias.created = alias.last_used = now;
      BT_TRY(txn.PutCacheRecord(alias));
      ids = record->snapshot_ids;
      return {};
    }));
    if (ids.empty()) return false;
    Vertex& vertex = vertices_[v];
    vertex.outputs.clear();
    for (const std::string& id : ids) vertex.outputs.push_back(SnapshotTree{id});
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.cached;
      ++stats_.content_hits;
    }
    Emit(v, VertexState::kCached);
    return true;
  }

  std::string ScratchDir() const {
    return options_.scratch_dir.empty() ? root_.tmp_dir() : options_.scratch_dir;
  }

  // The cache record of a step that just ran: its snapshot records and the key's record, in
  // one transaction, so a crash leaves either all of it or none; also under its content-based
  // key when it has one.
  Result<void> Record(ir::VertexId v, const std::vector<StepOutput>& outputs) {
    const cache::Timestamp now = std::chrono::system_clock::now();
    return root_.db().Update([&](cache::WriteTxn& txn) -> Result<void> {
      cache::CacheRecord record;
      record.key = keys_[v];
      record.created = record.last_used = now;
      record.description = NameOf(v);
      for (const StepOutput& out : outputs) {
        BT_ASSIGN_OR_RETURN(std::optional<cache::SnapshotRecord> snapshot,
                            txn.GetSnapshot(out.snapshot_id));
        if (!snapshot || snapshot->kind != cache::SnapshotKind::kCommitted) {
          return MakeError(ErrorCode::kInternal,
                           "step output " + out.snapshot_id + " is not a committed snapshot");
        }
        record.snapshot_ids.push_back(out.snapshot_id);
        record.size_bytes += out.size_bytes;
      }
      BT_TRY(txn.PutCacheRecord(record));
      if (result_keys_[v] == keys_[v]) return {};
      record.key = result_keys_[v];
      return txn.PutCacheRecord(record);
    });
  }

  void Fail(ir::VertexId v, Error error) {
    Emit(v, VertexState::kFailed, error.message);
    std::lock_guard<std::mutex> lock(mu_);
    if (!first_error_) {
      // The step's Dockerfile lines, for the excerpt the error report shows.
      auto meta = def_.metadata.find(graph_.digest(v));
      if (!error.where && meta != def_.metadata.end()) error.where = meta->second.location;
      first_error_ = std::move(error).Wrap(NameOf(v));
    }
    canceled_.store(true);
  }

  const ir::BuildDefinition& def_;
  const ir::Graph& graph_;
  cache::CacheRoot& root_;
  cache::Lease& lease_;
  StepRunner& runner_;
  const SolveOptions& options_;
  NullProgressSink null_progress_;
  ProgressSink* progress_;

  std::vector<Vertex> vertices_;
  std::vector<ir::VertexId> needed_;  // in topological order
  std::vector<SourceContent> sources_;
  std::vector<std::unique_ptr<LocalContext>> locals_;
  std::vector<oci::Digest> keys_;  // definition keys (ComputeCacheKeys)
  // The key each step's result is known by: its content-based key when FindByContent made
  // one, else its definition key. Written by the step's own task before its dependents start.
  std::vector<oci::Digest> result_keys_;
  SolveStats stats_;

  std::mutex lease_mu_;  // the Lease is used by one thread at a time
  std::mutex mu_;        // guards first_error_, stats_.executed, Vertex::started
  std::atomic<bool> canceled_{false};
  std::optional<Error> first_error_;
};

}  // namespace

std::size_t DefaultJobs() {
  return std::max<std::size_t>(16, 2 * std::max(1U, std::thread::hardware_concurrency()));
}

Result<SolveResult> Solve(const ir::BuildDefinition& definition, cache::CacheRoot& root,
                          cache::Lease& lease, StepRunner& runner, const SolveOptions& options) {
  Solver solver(definition, root, lease, runner, options);
  return solver.Run();
}

}  // namespace bt::solver
