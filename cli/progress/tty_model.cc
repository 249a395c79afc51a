#include "cli/progress/tty_model.h"

#include <algorithm>

#include "solver/ir_overloaded.h"

namespace bt::cli {

TtyStep& TtyModel::StepFor(const oci::Digest& vertex, solver::EventTime time) {
  auto [it, inserted] = index_.try_emplace(vertex, steps_.size());
  if (inserted) {
    TtyStep& step = steps_.emplace_back();
    step.vertex = vertex;
    step.name = vertex.ToString();  // until a VertexEvent names it
    step.started = time;
  }
  return steps_[it->second];
}

int TtyModel::finished_count() const {
  return static_cast<int>(
      std::count_if(steps_.begin(), steps_.end(), [](const TtyStep& s) { return s.finished(); }));
}

void TtyModel::Apply(const solver::ProgressEvent& event) {
  std::visit(
      ir::Overloaded{
          [&](const solver::VertexEvent& e) {
            TtyStep& step = StepFor(e.vertex, e.time);
            if (!e.name.empty()) step.name = e.name;
            step.state = e.state;
            step.error = e.error;
            if (e.state == solver::VertexState::kStarted) {
              step.started = e.time;
              step.stopped.reset();
            } else {
              if (e.state == solver::VertexState::kCached) step.started = e.time;
              step.stopped = e.time;
            }
          },
          [&](const solver::LogEvent& e) {
            TtyStep& step = StepFor(e.vertex, e.time);
            step.logs.Append(e.data, e.time - step.started);
            step.last_log = e.time;
          },
          [&](const solver::StatusEvent& e) {
            TtyStep& step = StepFor(e.vertex, e.time);
            auto it = std::find_if(step.statuses.begin(), step.statuses.end(),
                                   [&](const TtyStatus& s) { return s.id == e.id; });
            if (it == step.statuses.end()) {
              it = step.statuses.insert(step.statuses.end(), TtyStatus{e.id, 0, 0, e.time, {}});
            }
            it->current = e.current;
            it->total = e.total;
            if (e.done) it->completed = e.time;
          },
      },
      event);
}

}  // namespace bt::cli
