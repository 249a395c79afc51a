// One picture of the live view, after BuildKit's ttyDisplay.print:
//   [+] Building 3.2s (4/7)
//    => [internal] load build context                                  0.1s
//    => => transferring context: 1.20MB                                0.1s
//    => CACHED [base 1/3] FROM docker.io/library/alpine:3.19           0.0s
//    => [base 2/3] RUN make                                            2.1s
//    => => # cc -c main.c
// A row per step and per status of a step, and the last lines of running steps' logs when
// the screen has room. Rows are cut to width - 1 columns so none wraps; a live frame keeps
// to height - 1 rows (running steps first, then the latest finished ones) so the whole frame
// can be redrawn in place. A pure function of the model and the moment, tested without a
// terminal.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "cli/progress/tty_model.h"

namespace bt::cli {

enum class FrameKind {
  kLive,   // redrawn over the previous frame: height-limited, with log tails
  kFinal,  // left on screen: every step, "FINISHED" when all are done, no log tails
};

enum class FrameColor { kNone, kAnsi };

struct FrameSettings {
  FrameKind kind = FrameKind::kLive;
  FrameColor color = FrameColor::kAnsi;
  solver::EventTime now;                 // the timers of running steps end here
  std::chrono::nanoseconds elapsed{0};   // the header's build time
  int width = 80;                        // terminal columns
  int height = 24;                       // terminal rows
};

// Log rows shown under a running step (BuildKit's terminal height for a vertex).
constexpr int kLogRowsPerStep = 6;

// The rows, without newlines; finished rows are colored as BuildKit colors them (blue,
// red for errors, yellow for canceled) and log rows faint, unless color is kNone.
std::vector<std::string> ComposeTtyFrame(const TtyModel& model, const FrameSettings& settings);

}  // namespace bt::cli
