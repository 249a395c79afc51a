// TtyProgress: `--progress=tty`, the live view (tty_frame.h) redrawn in place with ANSI
// cursor movement by its own thread, at most once per interval (10 times a second), so Emit
// only updates memory under a lock and never waits for the terminal. Finish stops the thread,
// draws a final frame of every step, then prints the build summary and the failed steps'
// last log lines below it. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/progress/build_summary.h"
#include "cli/progress/progress_ui.h"
#include "cli/progress/tty_frame.h"
#include "cli/progress/tty_model.h"

namespace bt::cli {

struct TtyOptions {
  std::FILE* out = stderr;  // not owned; must outlive the renderer
  FrameColor color = FrameColor::kAnsi;
  std::chrono::milliseconds interval{100};  // between redraws
};

class TtyProgress final : public ProgressUi {
 public:
  explicit TtyProgress(const TtyOptions& options);
  ~TtyProgress() override;

  void Emit(const solver::ProgressEvent& event) override;
  void Finish() override;

 private:
  void Run();
  // Composes a frame from the model; the caller holds mu_.
  std::vector<std::string> Compose(FrameKind kind);
  // Writes rows over the previous frame. Only the drawing thread calls it (the render thread,
  // then Finish once that one has stopped), so drawn_rows_ needs no lock.
  void Draw(const std::vector<std::string>& rows);

  const TtyOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  TtyModel model_;                                    // guarded by mu_
  SummaryRecorder summary_;                           // guarded by mu_
  bool seen_event_ = false;                           // guarded by mu_: nothing drawn before
  std::chrono::steady_clock::time_point first_event_; // guarded by mu_
  bool stopping_ = false;                             // guarded by mu_: the thread must end
  bool finished_ = false;                             // guarded by mu_
  int drawn_rows_ = 0;                                // rows of the frame on screen
  std::thread thread_;                                // started last
};

}  // namespace bt::cli
