// The build summary the renderers print at the end: how many steps ran, came from the cache,
// failed or were canceled, the wall time, and the critical path: the chain of steps, linked by
// their inputs, whose run times add up to the most (what a faster build would have to
// shorten). Computed from progress events alone. SummaryRecorder is not thread-safe; each
// renderer feeds it under its own lock.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "oci/digest.h"
#include "solver/progress.h"

namespace bt::cli {

struct CriticalStep {
  oci::Digest vertex;
  std::string name;
  std::chrono::nanoseconds duration{0};
};

struct BuildSummary {
  int executed = 0;  // ran and succeeded
  int cached = 0;
  int failed = 0;
  int canceled = 0;
  std::chrono::nanoseconds wall_time{0};        // from the first event to the last
  std::vector<CriticalStep> critical_path;      // the earliest step first
  std::chrono::nanoseconds critical_time{0};    // the sum of critical_path's durations
};

class SummaryRecorder {
 public:
  void Record(const solver::ProgressEvent& event);
  bool empty() const { return steps_.empty(); }  // no step was seen
  BuildSummary Summarize() const;

 private:
  struct Step {
    oci::Digest vertex;
    std::string name;
    std::vector<oci::Digest> inputs;
    solver::VertexState state = solver::VertexState::kStarted;
    bool started = false;
    bool stopped = false;
    solver::EventTime start;
    solver::EventTime stop;
  };
  Step& StepFor(const oci::Digest& vertex);
  void Saw(solver::EventTime time);

  std::vector<Step> steps_;                       // in order of first appearance
  std::map<oci::Digest, std::size_t> index_;      // vertex -> position in steps_
  bool seen_time_ = false;
  solver::EventTime first_time_;
  solver::EventTime last_time_;
};

// For people, every line ending in '\n':
//   Summary: 3 steps executed, 2 cached, 1 failed in 4.2s
//   Critical path (3.9s):
//     [base 1/2] RUN apk add gcc 3.1s
//     [stage-1 2/2] COPY --from=base /x /y 0.8s
// Counts of failed and canceled steps appear only when not zero, the critical path only when
// some step took time.
std::string FormatBuildSummary(const BuildSummary& summary);

}  // namespace bt::cli
