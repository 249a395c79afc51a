// The build summary from events alone: counts, wall time and the critical path on small DAGs
// whose longest chains are worked out by hand in each case.
#include "cli/progress/build_summary.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace bt::cli {
namespace {

using solver::VertexState;
using std::chrono::milliseconds;

const solver::EventTime kT0{std::chrono::seconds(1714564803)};

solver::EventTime At(int ms) { return kT0 + milliseconds(ms); }

oci::Digest D(const std::string& name) { return oci::Digest::Of(name); }

solver::VertexEvent Vertex(const std::string& name, std::vector<std::string> inputs,
                           VertexState state, int ms) {
  solver::VertexEvent e;
  e.vertex = D(name);
  e.name = name;
  for (const std::string& input : inputs) e.inputs.push_back(D(input));
  e.state = state;
  e.time = At(ms);
  return e;
}

// Runs a step from start_ms to stop_ms.
void Run(SummaryRecorder& r, const std::string& name, std::vector<std::string> inputs,
         int start_ms, int stop_ms, VertexState end = VertexState::kCompleted) {
  r.Record(Vertex(name, inputs, VertexState::kStarted, start_ms));
  r.Record(Vertex(name, inputs, end, stop_ms));
}

std::vector<std::string> Names(const BuildSummary& s) {
  std::vector<std::string> names;
  for (const CriticalStep& step : s.critical_path) names.push_back(step.name);
  return names;
}

TEST_CASE("the critical path is the input chain with the largest total time", "[cli][build_summary]") {
  // base(1s) feeds left(2s) and right(5s); both feed final(1s), as does the cached "tools",
  // which took no time. base+right+final = 7s beats base+left+final = 4s.
  SummaryRecorder r;
  r.Record(Vertex("tools", {}, VertexState::kCached, 0));
  Run(r, "base", {}, 0, 1000);
  Run(r, "left", {"base"}, 1000, 3000);
  Run(r, "right", {"base"}, 1000, 6000);
  Run(r, "final", {"left", "right", "tools"}, 6000, 7000);
  const BuildSummary s = r.Summarize();
  CHECK(Names(s) == std::vector<std::string>{"base", "right", "final"});
  CHECK(s.critical_time == milliseconds(7000));
  REQUIRE(s.critical_path.size() == 3);
  CHECK(s.critical_path[0].vertex == D("base"));
  CHECK(s.critical_path[1].duration == milliseconds(5000));
  CHECK(s.executed == 4);
  CHECK(s.cached == 1);
  CHECK(s.failed == 0);
  CHECK(s.canceled == 0);
  CHECK(s.wall_time == milliseconds(7000));
}

TEST_CASE("the critical path follows inputs, not the order steps ran in", "[cli][build_summary]") {
  // a(3s) and b(1s) run in parallel; c(1s) needs only b. The chain a is 3s, b->c 2s.
  SummaryRecorder r;
  r.Record(Vertex("a", {}, VertexState::kStarted, 0));
  Run(r, "b", {}, 0, 1000);
  Run(r, "c", {"b"}, 1000, 2000);
  r.Record(Vertex("a", {}, VertexState::kCompleted, 3000));
  CHECK(Names(r.Summarize()) == std::vector<std::string>{"a"});

  // With a 5s c the chain through b wins.
  SummaryRecorder r2;
  Run(r2, "a", {}, 0, 3000);
  Run(r2, "b", {}, 0, 1000);
  Run(r2, "c", {"b"}, 1000, 6000);
  CHECK(Names(r2.Summarize()) == std::vector<std::string>{"b", "c"});
  CHECK(r2.Summarize().critical_time == milliseconds(6000));
}

TEST_CASE("failed and canceled steps are counted and a failed one can be critical", "[cli][build_summary]") {
  SummaryRecorder r;
  Run(r, "base", {}, 0, 500);
  Run(r, "compile", {"base"}, 500, 4500, VertexState::kFailed);
  r.Record(Vertex("test", {"base"}, VertexState::kStarted, 500));
  r.Record(Vertex("test", {"base"}, VertexState::kCanceled, 4600));
  r.Record(Vertex("package", {"compile"}, VertexState::kCanceled, 4600));  // never started
  const BuildSummary s = r.Summarize();
  CHECK(s.executed == 1);
  CHECK(s.failed == 1);
  CHECK(s.canceled == 2);
  CHECK(Names(s) == std::vector<std::string>{"base", "test"});  // 0.5 + 4.1 > 0.5 + 4.0
  CHECK(s.wall_time == milliseconds(4600));
}

TEST_CASE("inputs never reported and an all-cached build give no invented path", "[cli][build_summary]") {
  SummaryRecorder r;
  r.Record(Vertex("from", {"unknown-source"}, VertexState::kCached, 0));
  r.Record(Vertex("copy", {"from"}, VertexState::kCached, 10));
  const BuildSummary s = r.Summarize();
  CHECK(s.cached == 2);
  CHECK(s.critical_path.empty());
  CHECK(s.critical_time == milliseconds(0));
  CHECK(FormatBuildSummary(s) == "Summary: 0 steps executed, 2 cached in 0.0s\n");
}

TEST_CASE("a step still running at the end counts until the last event", "[cli][build_summary]") {
  SummaryRecorder r;
  r.Record(Vertex("slow", {}, VertexState::kStarted, 0));
  Run(r, "quick", {}, 100, 2100);
  const BuildSummary s = r.Summarize();
  CHECK(s.executed == 1);
  CHECK(Names(s) == std::vector<std::string>{"slow"});
  CHECK(s.critical_time == milliseconds(2100));
}

TEST_CASE("an empty recorder summarizes to nothing", "[cli][build_summary]") {
  SummaryRecorder r;
  CHECK(r.empty());
  const BuildSummary s = r.Summarize();
  CHECK(s.executed == 0);
  CHECK(s.wall_time == milliseconds(0));
  CHECK(s.critical_path.empty());
}

TEST_CASE("the summary text names counts, wall time and the critical path", "[cli][build_summary]") {
  BuildSummary s;
  s.executed = 1;
  s.cached = 2;
  s.failed = 1;
  s.wall_time = milliseconds(4230);
  s.critical_path = {{D("a"), "[base 1/2] RUN apk add gcc", milliseconds(3100)},
                     {D("b"), "[stage-1 2/2] COPY --from=base /x /y", milliseconds(800)}};
  s.critical_time = milliseconds(3900);
  CHECK(FormatBuildSummary(s) ==
        "Summary: 1 step executed, 2 cached, 1 failed in 4.2s\n"
        "Critical path (3.9s):\n"
        "  [base 1/2] RUN apk add gcc 3.1s\n"
        "  [stage-1 2/2] COPY --from=base /x /y 0.8s\n");
}

}  // namespace
}  // namespace bt::cli
