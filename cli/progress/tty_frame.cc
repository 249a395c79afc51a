#include "cli/progress/tty_frame.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <string_view>

#include "cli/progress/byte_units.h"
#include "cli/progress/terminal_text.h"
#include "cli/progress/time_text.h"

namespace bt::cli {
namespace {

using std::chrono::nanoseconds;

enum class Tone { kPlain, kDone, kError, kCanceled, kLog };

// A job row is dropped to its bare name when fewer columns than this are left for the name.
constexpr std::size_t kMinNameColumns = 12;
// display.go shows timers under 50ms as 0.0s, so finished fast steps do not flicker.
constexpr auto kMinTimer = std::chrono::milliseconds(50);

struct Job {
  std::size_t step;
  std::optional<std::size_t> status;  // a status row of the step; nullopt: the step's own row
  bool open;                          // still running
};

std::string Timer(nanoseconds duration) {
  return FormatSeconds(duration < kMinTimer ? nanoseconds(0) : duration);
}

std::string Paint(std::string row, Tone tone, FrameColor color) {
  if (color == FrameColor::kNone || tone == Tone::kPlain) return row;
  std::string_view start;
  switch (tone) {
    case Tone::kDone: start = "\x1b[34m"; break;      // blue
    case Tone::kError: start = "\x1b[31m"; break;     // red
    case Tone::kCanceled: start = "\x1b[33m"; break;  // yellow
    case Tone::kLog: start = "\x1b[2m"; break;        // faint
    case Tone::kPlain: break;
  }
  return std::string(start) + row + "\x1b[0m";
}

// " => NAME STATUS ... TIMER" in exactly `columns` columns; the timer is right-aligned and the
// name is cut first, as display.go does (status wins over the name's tail).
std::string JobRow(std::string_view name, std::string_view status, std::string_view timer,
                   std::size_t columns) {
  const std::string prefix = " => ";
  const std::size_t right = timer.size() + 1;
  if (columns < prefix.size() + right + kMinNameColumns) {
    return TruncateToWidth(prefix + std::string(name), columns);
  }
  std::size_t room = columns - prefix.size() - right;
  const std::size_t status_width = DisplayWidth(status);
  const bool show_status = status_width != 0 && room >= status_width + 1 + kMinNameColumns;
  if (show_status) room -= status_width + 1;
  std::string row = prefix + TruncateToWidth(name, room);
  if (show_status) row.append(" ").append(status);
  row.append(columns - right - DisplayWidth(row), ' ');
  row.append(" ").append(timer);
  return row;
}

std::string StepRow(const TtyStep& step, const FrameSettings& settings, std::size_t columns) {
  std::string name = SanitizeForTerminal(step.name);
  switch (step.state) {
    case solver::VertexState::kCached: name = "CACHED " + name; break;
    case solver::VertexState::kFailed: name = "ERROR " + name; break;
    case solver::VertexState::kCanceled: name = "CANCELED " + name; break;
    case solver::VertexState::kStarted:
    case solver::VertexState::kCompleted: break;
  }
  const nanoseconds took = step.state == solver::VertexState::kCached
                               ? nanoseconds(0)
                               : step.stopped.value_or(settings.now) - step.started;
  return JobRow(name, "", Timer(took), columns);
}

std::string StatusRow(const TtyStep& step, const TtyStatus& status,
                      const FrameSettings& settings, std::size_t columns) {
  std::string amount;
  if (status.total != 0) {
    amount = FormatBytes(status.current) + " / " + FormatBytes(status.total);
  } else if (status.current != 0) {
    amount = FormatBytes(status.current);
  }
  const solver::EventTime end = status.completed.value_or(step.stopped.value_or(settings.now));
  return JobRow("=> " + SanitizeForTerminal(status.id), amount, Timer(end - status.started),
                columns);
}

Tone ToneOf(const TtyStep& step) {
  switch (step.state) {
    case solver::VertexState::kFailed: return Tone::kError;
    case solver::VertexState::kCanceled: return Tone::kCanceled;
    case solver::VertexState::kStarted: return Tone::kPlain;
    case solver::VertexState::kCached:
    case solver::VertexState::kCompleted: return Tone::kDone;
  }
  return Tone::kPlain;
}

// How many log rows each running step gets: the most recently chatty first, each only while
// the rows left after every running job still hold its whole tail (display.go setupTerminals).
std::map<std::size_t, int> LogRows(const std::vector<TtyStep>& steps, int free_rows) {
  std::vector<std::size_t> talking;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (!steps[i].finished() && !steps[i].logs.empty()) talking.push_back(i);
  }
  std::stable_sort(talking.begin(), talking.end(), [&](std::size_t a, std::size_t b) {
    return steps[a].last_log > steps[b].last_log;
  });
  std::map<std::size_t, int> rows;
  for (std::size_t i : talking) {
    const int want =
        std::min(kLogRowsPerStep, static_cast<int>(steps[i].logs.lines().size()));
    if (free_rows < want) continue;
    rows[i] = want;
    free_rows -= want;
  }
  return rows;
}

// Which jobs fit in `budget` rows: every running one that fits (the latest if not all do),
// then the latest finished ones, in their original order.
std::vector<bool> PickJobs(const std::vector<Job>& jobs, int budget) {
  std::vector<bool> keep(jobs.size(), false);
  const int open = static_cast<int>(std::count_if(jobs.begin(), jobs.end(),
                                                  [](const Job& j) { return j.open; }));
  int open_left = std::min(open, std::max(budget, 0));
  int closed_left = std::max(budget, 0) - open_left;
  for (std::size_t i = jobs.size(); i-- > 0;) {
    int& left = jobs[i].open ? open_left : closed_left;
    if (left > 0) {
      keep[i] = true;
      --left;
    }
  }
  return keep;
}

}  // namespace

std::vector<std::string> ComposeTtyFrame(const TtyModel& model, const FrameSettings& settings) {
  const std::vector<TtyStep>& steps = model.steps();
  const std::size_t columns = static_cast<std::size_t>(std::max(settings.width - 1, 1));
  const bool live = settings.kind == FrameKind::kLive;

  const int finished = model.finished_count();
  const int total = static_cast<int>(steps.size());
  std::string header = "[+] Building " + FormatSeconds(settings.elapsed) + " (" +
                       std::to_string(finished) + "/" + std::to_string(total) + ")";
  if (!live && total > 0 && finished == total) header += " FINISHED";
  std::vector<std::string> rows = {TruncateToWidth(header, columns)};

  std::vector<Job> jobs;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    jobs.push_back(Job{i, std::nullopt, !steps[i].finished()});
    for (std::size_t s = 0; s < steps[i].statuses.size(); ++s) {
      const bool open = !steps[i].finished() && !steps[i].statuses[s].completed;
      jobs.push_back(Job{i, s, open});
    }
  }

  std::map<std::size_t, int> log_rows;
  std::vector<bool> keep(jobs.size(), true);
  if (live) {
    // The header and the row the cursor rests on take two of the screen's rows.
    const int budget = std::max(settings.height - 2, 0);
    const int open = static_cast<int>(std::count_if(jobs.begin(), jobs.end(),
                                                    [](const Job& j) { return j.open; }));
    log_rows = LogRows(steps, budget - open);
    int used_by_logs = 0;
    for (const auto& [step, n] : log_rows) used_by_logs += n;
    keep = PickJobs(jobs, budget - used_by_logs);
  }

  for (std::size_t j = 0; j < jobs.size(); ++j) {
    if (!keep[j]) continue;
    const TtyStep& step = steps[jobs[j].step];
    if (jobs[j].status) {
      const TtyStatus& status = step.statuses[*jobs[j].status];
      rows.push_back(Paint(StatusRow(step, status, settings, columns),
                           jobs[j].open ? Tone::kPlain : Tone::kDone, settings.color));
      continue;
    }
    rows.push_back(Paint(StepRow(step, settings, columns), ToneOf(step), settings.color));
    auto shown = log_rows.find(jobs[j].step);
    if (shown == log_rows.end()) continue;
    const auto& lines = step.logs.lines();
    for (std::size_t l = lines.size() - static_cast<std::size_t>(shown->second); l < lines.size();
         ++l) {
      const std::string row = " => => # " + SanitizeForTerminal(lines[l].text);
      rows.push_back(Paint(TruncateToWidth(row, columns), Tone::kLog, settings.color));
    }
  }
  return rows;
}

}  // namespace bt::cli
