#include "cli/progress/plain_progress.h"

#include <string>

namespace bt::cli {

PlainProgress::PlainProgress(std::FILE* out) : writer_(out) {}

PlainProgress::~PlainProgress() { Finish(); }

void PlainProgress::Emit(const solver::ProgressEvent& event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  summary_.Record(event);
  writer_.Write(printer_.Print(event));
}

void PlainProgress::Finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
    std::string text = printer_.EndOpenLine();
    if (!summary_.empty()) text += "\n" + FormatBuildSummary(summary_.Summarize());
    text += printer_.FailedStepLogs();
    writer_.Write(std::move(text));
  }
  writer_.Close();
}

}  // namespace bt::cli
