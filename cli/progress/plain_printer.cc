#include "cli/progress/plain_printer.h"

#include <string_view>

#include "cli/progress/byte_units.h"
#include "cli/progress/error_logs.h"
#include "cli/progress/time_text.h"
#include "solver/ir_overloaded.h"

namespace bt::cli {
namespace {

using std::chrono::nanoseconds;

// printer.go: a status update is shown when it moved 5% of its total or 5s have passed.
constexpr double kMinProgressDelta = 0.05;
constexpr auto kMinTimeDelta = std::chrono::seconds(5);
// printer.go shows a status' duration only above 10ms.
constexpr auto kMinStatusDuration = std::chrono::milliseconds(10);

}  // namespace

std::string PlainPrinter::Print(const solver::ProgressEvent& event) {
  std::string out;
  std::visit(ir::Overloaded{
                 [&](const solver::VertexEvent& e) { OnVertex(e, out); },
                 [&](const solver::LogEvent& e) { OnLog(e, out); },
                 [&](const solver::StatusEvent& e) { OnStatus(e, out); },
             },
             event);
  return out;
}

std::string PlainPrinter::EndOpenLine() {
  if (current_ == kNone || !steps_[current_].open_line_on_screen) return "";
  steps_[current_].open_line_on_screen = false;
  return "\n";
}

std::string PlainPrinter::FailedStepLogs() const {
  std::string out;
  for (const Step& step : steps_) {
    if (step.failed) out += FormatErrorLogs(step.name, step.logs);
  }
  return out;
}

std::size_t PlainPrinter::StepFor(const oci::Digest& vertex) {
  auto [it, inserted] = index_.try_emplace(vertex, steps_.size());
  if (inserted) {
    steps_.emplace_back();
    steps_.back().name = vertex.ToString();  // until a VertexEvent names it
  }
  return it->second;
}

void PlainPrinter::Activate(std::size_t step, std::string& out) {
  if (step == current_) return;
  if (current_ != kNone) {
    Step& previous = steps_[current_];
    if (previous.open_line_on_screen) out += '\n';
    previous.open_line_on_screen = false;
    out += "#" + std::to_string(previous.number) + " ...\n";
  }
  if (printed_any_) out += '\n';
  printed_any_ = true;
  Step& s = steps_[step];
  if (s.number == 0) s.number = ++last_number_;
  out += "#" + std::to_string(s.number) + " " + s.name + "\n";
  current_ = step;
}

void PlainPrinter::OnVertex(const solver::VertexEvent& event, std::string& out) {
  const std::size_t index = StepFor(event.vertex);
  if (!event.name.empty()) steps_[index].name = event.name;
  if (event.state == solver::VertexState::kStarted) {
    steps_[index].started = true;
    steps_[index].start = event.time;
    Activate(index, out);
    return;
  }
  Activate(index, out);
  Step& step = steps_[index];
  if (step.open_line_on_screen) out += '\n';
  step.open_line_on_screen = false;
  const std::string prefix = "#" + std::to_string(step.number) + " ";
  switch (event.state) {
    case solver::VertexState::kCached:
      out += prefix + "CACHED\n";
      break;
    case solver::VertexState::kCompleted:
      out += prefix + "DONE";
      if (step.started) out += " " + FormatSeconds(event.time - step.start);
      out += '\n';
      break;
    case solver::VertexState::kFailed:
      step.failed = true;
      out += prefix + "ERROR: " + event.error + "\n";
      break;
    case solver::VertexState::kCanceled:
      out += prefix + "CANCELED\n";
      break;
    case solver::VertexState::kStarted:
      break;
  }
  current_ = kNone;  // a finished step never ends with "#N ..."
}

void PlainPrinter::OnLog(const solver::LogEvent& event, std::string& out) {
  if (event.data.empty()) return;
  const std::size_t index = StepFor(event.vertex);
  Activate(index, out);
  Step& step = steps_[index];
  const nanoseconds offset = step.started ? event.time - step.start : nanoseconds(0);
  const std::string prefix = "#" + std::to_string(step.number) + " ";

  std::string_view data = event.data;
  bool first = true;
  while (!data.empty()) {
    const std::size_t newline = data.find('\n');
    const std::string_view piece = data.substr(0, newline);
    if (first && step.logs.last_line_open()) {
      if (!step.open_line_on_screen) {
        // Back after another step printed: the line is shown again from its start, as
        // printVtx does once logsOffset is reset. A line cut at LogTail's limit cannot be,
        // so it restarts at the new piece under its old timestamp.
        const LogLine& open = step.logs.lines().back();
        out += prefix + FormatLogOffset(open.offset) + " ";
        if (open.text.size() < LogTail::kMaxLineBytes) out += open.text;
      }
      out += piece;
    } else {
      out += prefix + FormatLogOffset(offset) + " ";
      out += piece;
    }
    first = false;
    if (newline == std::string_view::npos) break;
    out += '\n';
    data.remove_prefix(newline + 1);
  }
  step.open_line_on_screen = event.data.back() != '\n';
  step.logs.Append(event.data, offset);
}

void PlainPrinter::OnStatus(const solver::StatusEvent& event, std::string& out) {
  const std::size_t index = StepFor(event.vertex);
  auto [it, inserted] = steps_[index].statuses.try_emplace(event.id);
  StatusSeen& seen = it->second;
  if (inserted) seen.first = event.time;
  // Throttled per step and id; printer.go keys its table by id alone, so two steps with the
  // same id ("transferring context:") would hold back each other's updates.
  if (seen.printed && !event.done) {
    double delta = 0;
    if (event.total > 0) {
      delta = (static_cast<double>(event.current) - static_cast<double>(seen.printed_current)) /
              static_cast<double>(event.total);
    }
    if (delta < kMinProgressDelta && event.time - seen.printed_time < kMinTimeDelta) return;
  }
  seen.printed = true;
  seen.printed_current = event.current;
  seen.printed_time = event.time;

  Activate(index, out);
  Step& step = steps_[index];
  if (step.open_line_on_screen) out += '\n';  // printer.go would glue the status to it
  step.open_line_on_screen = false;
  out += "#" + std::to_string(step.number) + " " + event.id;
  if (event.total != 0) {
    out += " " + FormatBytes(event.current) + " / " + FormatBytes(event.total);
  } else if (event.current != 0) {
    out += " " + FormatBytes(event.current);
  }
  if (event.time - seen.first > kMinStatusDuration) {
    out += " " + FormatSeconds(event.time - seen.first);
  }
  if (event.done) out += " done";
  out += '\n';
}

}  // namespace bt::cli
