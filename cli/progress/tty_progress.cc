#include "cli/progress/tty_progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/progress/error_logs.h"

namespace bt::cli {
namespace {

struct TerminalSize {
  int width = 80;
  int height = 24;
};

// The terminal's size now (it may be resized during a build); 80x24 when out is not one.
TerminalSize QueryTerminalSize(std::FILE* out) {
  TerminalSize size;
  const int fd = fileno(out);
  winsize ws{};
  if (fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
    size.width = ws.ws_col;
    size.height = ws.ws_row;
  }
  return size;
}

}  // namespace

TtyProgress::TtyProgress(const TtyOptions& options)
    : options_(options), thread_([this] { Run(); }) {}

TtyProgress::~TtyProgress() { Finish(); }

void TtyProgress::Emit(const solver::ProgressEvent& event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  if (!seen_event_) {
    seen_event_ = true;
    first_event_ = std::chrono::steady_clock::now();
  }
  model_.Apply(event);
  summary_.Record(event);
}

void TtyProgress::Finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();

  std::vector<std::string> rows;
  std::string closing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!seen_event_) return;
    rows = Compose(FrameKind::kFinal);
    closing = "\n" + FormatBuildSummary(summary_.Summarize());
    for (const TtyStep& step : model_.steps()) {
      if (step.state == solver::VertexState::kFailed) closing += FormatErrorLogs(step.name, step.logs);
    }
  }
  Draw(rows);
  std::fwrite(closing.data(), 1, closing.size(), options_.out);
  std::fflush(options_.out);
}

void TtyProgress::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait_for(lock, options_.interval, [this] { return stopping_; });
    if (stopping_) return;
    if (!seen_event_) continue;
    // Redrawn on every tick even without events: the running steps' timers move.
    const std::vector<std::string> rows = Compose(FrameKind::kLive);
    lock.unlock();
    Draw(rows);
    lock.lock();
  }
}

std::vector<std::string> TtyProgress::Compose(FrameKind kind) {
  const TerminalSize size = QueryTerminalSize(options_.out);
  FrameSettings settings;
  settings.kind = kind;
  settings.color = options_.color;
  settings.now = std::chrono::system_clock::now();
  settings.elapsed = std::chrono::steady_clock::now() - first_event_;
  settings.width = size.width;
  settings.height = size.height;
  return ComposeTtyFrame(model_, settings);
}

void TtyProgress::Draw(const std::vector<std::string>& rows) {
  // Hidden cursor while drawing, so it does not flicker across the view.
  std::string text = "\x1b[?25l";
  if (drawn_rows_ > 0) text += "\x1b[" + std::to_string(drawn_rows_) + "A";
  text += "\r";
  for (const std::string& row : rows) text += row + "\x1b[K\n";  // clear what the old row had
  text += "\x1b[J\x1b[?25h";  // clear the old frame's rows below a shorter one
  std::fwrite(text.data(), 1, text.size(), options_.out);
  std::fflush(options_.out);
  drawn_rows_ = static_cast<int>(rows.size());
}

}  // namespace bt::cli
