// TtyModel: what the live view knows about each step so far (state, times, statuses, last
// log lines), updated from progress events and read by ComposeTtyFrame. Not thread-safe:
// TtyProgress guards it with its lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/progress/log_tail.h"
#include "oci/digest.h"
#include "solver/progress.h"

namespace bt::cli {

struct TtyStatus {
  std::string id;
  std::uint64_t current = 0;
  std::uint64_t total = 0;  // 0 when unknown
  solver::EventTime started;
  std::optional<solver::EventTime> completed;
};

struct TtyStep {
  oci::Digest vertex;
  std::string name;
  // A step first heard of through a log or status counts as started at that event.
  solver::VertexState state = solver::VertexState::kStarted;
  solver::EventTime started;
  std::optional<solver::EventTime> stopped;  // set once state is not kStarted
  std::string error;
  std::vector<TtyStatus> statuses;  // in order of first appearance
  LogTail logs;
  solver::EventTime last_log;       // which running steps' logs the view shows first

  bool finished() const { return state != solver::VertexState::kStarted; }
};

class TtyModel {
 public:
  void Apply(const solver::ProgressEvent& event);

  const std::vector<TtyStep>& steps() const { return steps_; }  // in order of first appearance
  int finished_count() const;

 private:
  TtyStep& StepFor(const oci::Digest& vertex, solver::EventTime time);

  std::vector<TtyStep> steps_;
  std::map<oci::Digest, std::size_t> index_;  // vertex -> position in steps_
};

}  // namespace bt::cli
