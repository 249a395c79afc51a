#include "cli/progress/json_progress.h"

#include <string>

#include "cli/progress/progress_json.h"

namespace bt::cli {

JsonProgress::JsonProgress(std::FILE* out) : writer_(out) {}

JsonProgress::~JsonProgress() { Finish(); }

void JsonProgress::Emit(const solver::ProgressEvent& event) {
  std::string line = ProgressEventJson(event);  // outside the lock: threads encode in parallel
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  summary_.Record(event);
  writer_.Write(std::move(line));
}

void JsonProgress::Finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
    writer_.Write(BuildSummaryJson(summary_.Summarize()));
  }
  writer_.Close();
}

}  // namespace bt::cli
