// PlainPrinter: the text of BuildKit's plain progress (progressui/printer.go, textMux) for
// one event at a time. Every step gets a number #N when it first appears; its lines are
//   #N NAME                       when it starts, or when another step printed in between
//   #N 0.123 a log line           seconds since the step started, then what it wrote
//   #N transferring context: 1.20MB 0.1s done
//   #N CACHED | #N DONE 0.1s | #N ERROR: message | #N CANCELED
// and a step left for another one while running ends with "#N ...". Unlike BuildKit, which
// batches updates every 100ms and picks which running step to show, this prints each event
// as it comes, so CI logs stream. Not thread-safe: PlainProgress holds the lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cli/progress/log_tail.h"
#include "oci/digest.h"
#include "solver/progress.h"

namespace bt::cli {

class PlainPrinter {
 public:
  // The text the event adds (possibly nothing, for a status update too small to show).
  std::string Print(const solver::ProgressEvent& event);

  // Ends a log line that is still open, so what follows starts on its own line.
  std::string EndOpenLine();

  // BuildKit's closing report of each failed step's last log lines (error_logs.h), in the
  // order the steps appeared.
  std::string FailedStepLogs() const;

 private:
  struct StatusSeen {
    solver::EventTime first;         // the status' start, as BuildKit's VertexStatus.Started
    bool printed = false;
    std::uint64_t printed_current = 0;
    solver::EventTime printed_time;
  };
  struct Step {
    int number = 0;  // #N; 0 until first printed
    std::string name;
    bool started = false;
    solver::EventTime start;
    bool failed = false;
    bool open_line_on_screen = false;  // its last log line is printed without its newline
    std::map<std::string, StatusSeen> statuses;
    LogTail logs;                      // for FailedStepLogs
  };
  static constexpr std::size_t kNone = SIZE_MAX;

  std::size_t StepFor(const oci::Digest& vertex);
  // Makes the step the one being printed: ends the previous step's run of lines with
  // "#M ..." and prints this step's header, as printVtx does on a change of digest.
  void Activate(std::size_t step, std::string& out);
  void OnVertex(const solver::VertexEvent& event, std::string& out);
  void OnLog(const solver::LogEvent& event, std::string& out);
  void OnStatus(const solver::StatusEvent& event, std::string& out);

  std::vector<Step> steps_;                   // in order of first appearance
  std::map<oci::Digest, std::size_t> index_;  // vertex -> position in steps_
  std::size_t current_ = kNone;               // the step whose lines are being printed
  int last_number_ = 0;
  bool printed_any_ = false;
};

}  // namespace bt::cli
