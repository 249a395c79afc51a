#include "cli/progress/build_summary.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "cli/progress/time_text.h"

namespace bt::cli {
namespace {

using std::chrono::nanoseconds;
using solver::VertexState;

std::string Count(int n, const char* singular, const char* plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

}  // namespace

SummaryRecorder::Step& SummaryRecorder::StepFor(const oci::Digest& vertex) {
  auto [it, inserted] = index_.try_emplace(vertex, steps_.size());
  if (inserted) {
    steps_.emplace_back();
    steps_.back().vertex = vertex;
    steps_.back().name = vertex.ToString();  // until a VertexEvent names it
  }
  return steps_[it->second];
}

void SummaryRecorder::Saw(solver::EventTime time) {
  if (!seen_time_) {
    first_time_ = last_time_ = time;
    seen_time_ = true;
  }
  first_time_ = std::min(first_time_, time);
  last_time_ = std::max(last_time_, time);
}

void SummaryRecorder::Record(const solver::ProgressEvent& event) {
  std::visit(
      [this](const auto& e) {
        Saw(e.time);
        Step& step = StepFor(e.vertex);
        using Event = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<Event, solver::VertexEvent>) {
          if (!e.name.empty()) step.name = e.name;
          if (!e.inputs.empty()) step.inputs = e.inputs;
          step.state = e.state;
          if (e.state == VertexState::kStarted) {
            step.started = true;
            step.stopped = false;
            step.start = e.time;
          } else {
            // A cached step never ran; a step stopped before it started took no time.
            if (!step.started || e.state == VertexState::kCached) step.start = e.time;
            step.started = step.stopped = true;
            step.stop = e.time;
          }
        }
      },
      event);
}

BuildSummary SummaryRecorder::Summarize() const {
  BuildSummary summary;
  if (seen_time_) summary.wall_time = last_time_ - first_time_;
  std::vector<nanoseconds> duration(steps_.size(), nanoseconds(0));
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    const Step& step = steps_[i];
    if (step.started) {
      // A step still running when the build ended counts until the last event.
      duration[i] = (step.stopped ? step.stop : last_time_) - step.start;
      duration[i] = std::max(duration[i], nanoseconds(0));
    }
    if (!step.stopped) continue;
    switch (step.state) {
      case VertexState::kCompleted: ++summary.executed; break;
      case VertexState::kCached: ++summary.cached; break;
      case VertexState::kFailed: ++summary.failed; break;
      case VertexState::kCanceled: ++summary.canceled; break;
      case VertexState::kStarted: break;
    }
  }

  // longest[i]: the most time any chain ending in step i takes; via[i]: the input it goes
  // through. An iterative depth-first walk, so a long chain cannot exhaust the stack; an
  // input that was never reported contributes nothing, and a cycle (which a DAG cannot have)
  // is cut where it closes.
  constexpr std::size_t kNone = SIZE_MAX;
  enum class Mark : std::uint8_t { kNew, kOpen, kDone };
  std::vector<Mark> mark(steps_.size(), Mark::kNew);
  std::vector<nanoseconds> longest(steps_.size(), nanoseconds(0));
  std::vector<std::size_t> via(steps_.size(), kNone);
  std::vector<std::pair<std::size_t, std::size_t>> stack;  // (step, next input to look at)
  for (std::size_t root = 0; root < steps_.size(); ++root) {
    if (mark[root] != Mark::kNew) continue;
    stack.emplace_back(root, 0);
    mark[root] = Mark::kOpen;
    while (!stack.empty()) {
      auto& [i, next] = stack.back();
      if (next < steps_[i].inputs.size()) {
        auto found = index_.find(steps_[i].inputs[next++]);
        if (found == index_.end()) continue;
        const std::size_t input = found->second;
        if (mark[input] == Mark::kNew) {
          mark[input] = Mark::kOpen;
          stack.emplace_back(input, 0);
        }
        continue;
      }
      const std::size_t step = i;
      nanoseconds best(0);
      for (const oci::Digest& d : steps_[step].inputs) {
        auto found = index_.find(d);
        if (found == index_.end() || mark[found->second] != Mark::kDone) continue;
        if (via[step] == kNone || longest[found->second] > best) {
          best = longest[found->second];
          via[step] = found->second;
        }
      }
      longest[step] = duration[step] + best;
      mark[step] = Mark::kDone;
      stack.pop_back();
    }
  }

  std::size_t end = kNone;
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    if (longest[i] > nanoseconds(0) && (end == kNone || longest[i] > longest[end])) end = i;
  }
  std::vector<std::size_t> chain;
  for (std::size_t i = end; i != kNone; i = via[i]) chain.push_back(i);
  std::reverse(chain.begin(), chain.end());
  // Steps that took no time (cached ones) at either end of the chain add nothing to read.
  while (!chain.empty() && duration[chain.back()] == nanoseconds(0)) chain.pop_back();
  auto first = std::find_if(chain.begin(), chain.end(),
                            [&](std::size_t i) { return duration[i] > nanoseconds(0); });
  for (auto it = first; it != chain.end(); ++it) {
    summary.critical_path.push_back(CriticalStep{steps_[*it].vertex, steps_[*it].name, duration[*it]});
    summary.critical_time += duration[*it];
  }
  return summary;
}

std::string FormatBuildSummary(const BuildSummary& summary) {
  std::string out = "Summary: " + Count(summary.executed, "step", "steps") + " executed, " +
                    std::to_string(summary.cached) + " cached";
  if (summary.failed != 0) out += ", " + std::to_string(summary.failed) + " failed";
  if (summary.canceled != 0) out += ", " + std::to_string(summary.canceled) + " canceled";
  out += " in " + FormatSeconds(summary.wall_time) + "\n";
  if (summary.critical_path.empty()) return out;
  out += "Critical path (" + FormatSeconds(summary.critical_time) + "):\n";
  for (const CriticalStep& step : summary.critical_path) {
    out += "  " + step.name + " " + FormatSeconds(step.duration) + "\n";
  }
  return out;
}

}  // namespace bt::cli
