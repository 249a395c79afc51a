// Solve with a fake StepRunner: what runs, what comes from the cache, in which order and how
// many at once, and what a failure or an interrupt leaves behind.
#include "solver/scheduler.h"

#include <chrono>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"
#include "solver/active_snapshot.h"

namespace bt::solver {
namespace {

// Makes each FileOp's output a snapshot on its base holding one file named after the op's
// first action's dest; records calls, overlaps and can fail one named step.
class FakeRunner : public StepRunner {
 public:
  Result<std::vector<StepOutput>> Run(const StepContext& ctx, const ir::Op& op,
                                      const std::vector<Tree>& inputs) override {
    const auto& file = std::get<ir::FileOp>(op.body);
    const std::string dest = std::get<ir::CopyAction>(file.actions.at(0)).dest;
    {
      std::lock_guard<std::mutex> lock(mu);
      ran.push_back(dest);
      ++running;
      max_running = std::max(max_running, running);
    }
    std::this_thread::sleep_for(delay);
    struct Done {
      FakeRunner* self;
      ~Done() {
        std::lock_guard<std::mutex> lock(self->mu);
        --self->running;
      }
    } done{this};
    if (dest == fail_at) return MakeError(ErrorCode::kInvalidArgument, "no such file: " + dest);
    std::optional<std::string> parent;
    if (file.base != ir::kScratch) {
      if (const auto* s = std::get_if<SnapshotTree>(&inputs.at(file.base))) parent = s->id;
    }
    BT_ASSIGN_OR_RETURN(ActiveSnapshot active, ActiveSnapshot::Prepare(ctx, parent));
    std::ofstream(ctx.root->snapshots().DiffPath(active.id()) + "/" + dest.substr(1)) << dest;
    BT_ASSIGN_OR_RETURN(StepOutput out, active.Commit());
    return std::vector<StepOutput>{out};
  }

  std::mutex mu;
  std::vector<std::string> ran;
  int running = 0;
  int max_running = 0;
  std::chrono::milliseconds delay{0};
  std::string fail_at;
};

class RecordingSink : public ProgressSink {
 public:
  void Emit(const ProgressEvent& event) override {
    std::lock_guard<std::mutex> lock(mu);
    if (const auto* v = std::get_if<VertexEvent>(&event)) states[v->name].push_back(v->state);
  }
  std::mutex mu;
  std::map<std::string, std::vector<VertexState>> states;
};

ir::Op Copy(std::vector<ir::Edge> inputs, ir::InputIndex base, std::string dest) {
  ir::CopyAction copy;
  copy.source = ir::kScratch;
  copy.src = "/";
  copy.dest = std::move(dest);
  ir::Op op;
  op.inputs = std::move(inputs);
  op.body = ir::FileOp{base, {copy}};
  return op;
}

// Two independent branches (a1 -> a2, b1) joined by a last step: the shape of two stages
// copied into a final one.
struct Fixture {
  TempDir dir = *TempDir::Create("", "bt-solve-");
  cache::CacheRoot root = *cache::CacheRoot::Open(dir.path() + "/root");
  ir::BuildDefinition def;
  FakeRunner runner;
  RecordingSink sink;
  SolveOptions options;

  Fixture() {
    const ir::VertexId a1 = Add(Copy({}, ir::kScratch, "/a1"), "a");
    const ir::VertexId a2 = Add(Copy({{a1, 0}}, 0, "/a2"), "a");
    const ir::VertexId b1 = Add(Copy({}, ir::kScratch, "/b1"), "b");
    const ir::VertexId last = Add(Copy({{a2, 0}, {b1, 0}}, 0, "/last"), "final");
    def.target = ir::Edge{last, 0};
    options.progress = &sink;
  }
  ir::VertexId Add(ir::Op op, const std::string& stage) {
    const std::string dest = std::get<ir::CopyAction>(std::get<ir::FileOp>(op.body).actions[0]).dest;
    const ir::VertexId id = def.graph.Add(std::move(op));
    def.metadata[def.graph.digest(id)] = ir::OpMetadata{"COPY " + dest, std::nullopt, {stage}};
    return id;
  }
  Result<SolveResult> Solve() {
    Result<cache::Lease> lease = cache::Lease::Acquire(root.db());
    REQUIRE(lease.has_value());
    return solver::Solve(def, root, *lease, runner, options);
  }
  std::set<std::string> Ran() {
    return std::set<std::string>(runner.ran.begin(), runner.ran.end());
  }
};

TEST_CASE("a first build runs every step, a second runs nothing", "[solver][scheduler]") {
  Fixture f;
  Result<SolveResult> first = f.Solve();
  REQUIRE(first.has_value());
  CHECK(first->stats.executed == 4);
  CHECK(first->stats.cached == 0);
  const auto* target = std::get_if<SnapshotTree>(&first->target);
  REQUIRE(target != nullptr);
  CHECK(f.root.snapshots().IsCommitted(target->id));
  // The last step ran after both of its inputs.
  CHECK(f.runner.ran.back() == "/last");

  f.runner.ran.clear();
  Result<SolveResult> second = f.Solve();
  REQUIRE(second.has_value());
  CHECK(f.runner.ran.empty());
  CHECK(second->stats.executed == 0);
  CHECK(second->stats.cached == 1);  // only the target is looked at: nothing below it
  CHECK(std::get<SnapshotTree>(second->target).id == target->id);
  CHECK(f.sink.states["COPY /last"].back() == VertexState::kCached);
  // Started and completed in the first build; never looked at in the second.
  CHECK(f.sink.states["COPY /a1"].size() == 2);
}

TEST_CASE("no-cache runs everything, no-cache-filter runs the stage and what follows",
          "[solver][scheduler]") {
  Fixture f;
  REQUIRE(f.Solve().has_value());
  f.runner.ran.clear();
  SECTION("no-cache") {
    f.options.no_cache = true;
    REQUIRE(f.Solve().has_value());
    CHECK(f.Ran() == std::set<std::string>{"/a1", "/a2", "/b1", "/last"});
  }
  SECTION("no-cache-filter b") {
    f.options.no_cache_stages = {"b"};
    REQUIRE(f.Solve().has_value());
    // b1 re-runs, and so does what reads it (its result may differ); a1 and a2 do not.
    CHECK(f.Ran() == std::set<std::string>{"/b1", "/last"});
  }
  SECTION("no-cache-filter final") {
    f.options.no_cache_stages = {"final"};
    REQUIRE(f.Solve().has_value());
    // last runs; its inputs are cached.
    CHECK(f.Ran() == std::set<std::string>{"/last"});
  }
}

TEST_CASE("independent branches run at the same time, bounded by jobs", "[solver][scheduler]") {
  Fixture f;
  f.runner.delay = std::chrono::milliseconds(150);
  SECTION("two jobs") {
    f.options.jobs = 2;
    REQUIRE(f.Solve().has_value());
    CHECK(f.runner.max_running == 2);
  }
  SECTION("one job") {
    f.options.jobs = 1;
    REQUIRE(f.Solve().has_value());
    CHECK(f.runner.max_running == 1);
  }
}

TEST_CASE("the first failure stops the build and records nothing of it", "[solver][scheduler]") {
  Fixture f;
  f.options.jobs = 1;
  f.runner.fail_at = "/a1";
  Result<SolveResult> result = f.Solve();
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().message == "no such file: /a1");
  REQUIRE_FALSE(result.error().context.empty());
  CHECK(result.error().context.back() == "COPY /a1");
  CHECK(f.sink.states["COPY /a1"].back() == VertexState::kFailed);
  CHECK(f.sink.states["COPY /last"] == std::vector<VertexState>{VertexState::kCanceled});
  CHECK(f.runner.ran.size() <= 2);  // b1 may have started before a1 failed, with one job not
  // Nothing half-made: every snapshot left is committed and recorded.
  const auto snapshots = *f.root.db().BeginRead()->ListSnapshots();
  for (const cache::SnapshotRecord& s : snapshots) CHECK(s.kind == cache::SnapshotKind::kCommitted);
  CHECK(snapshots.size() == f.root.snapshots().List()->size());

  f.runner.fail_at.clear();
  f.runner.ran.clear();
  REQUIRE(f.Solve().has_value());
  CHECK(f.Ran().count("/a1") == 1);
}

TEST_CASE("an interrupt stops the build before the next step", "[solver][scheduler]") {
  Fixture f;
  std::atomic<bool> interrupt{true};
  f.options.interrupt = &interrupt;
  Result<SolveResult> result = f.Solve();
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == ErrorCode::kCancelled);
  CHECK(f.runner.ran.empty());
}

TEST_CASE("a definition without a target is the empty tree", "[solver][scheduler]") {
  Fixture f;
  f.def.target.reset();
  Result<SolveResult> result = f.Solve();
  REQUIRE(result.has_value());
  CHECK(std::holds_alternative<EmptyTree>(result->target));
}

}  // namespace
}  // namespace bt::solver
