// JsonProgress: `--progress=rawjson`, one JSON line per event (progress_json.h documents the
// fields) and a last "summary" line at Finish. Thread-safe; lines are written whole, in the
// order Emit calls take the lock, by an AsyncWriter.
#pragma once

#include <cstdio>
#include <mutex>

#include "cli/progress/async_writer.h"
#include "cli/progress/build_summary.h"
#include "cli/progress/progress_ui.h"

namespace bt::cli {

class JsonProgress final : public ProgressUi {
 public:
  // `out` is not owned and must outlive the renderer.
  explicit JsonProgress(std::FILE* out);
  ~JsonProgress() override;

  void Emit(const solver::ProgressEvent& event) override;
  void Finish() override;

 private:
  std::mutex mu_;
  SummaryRecorder summary_;  // guarded by mu_
  bool finished_ = false;    // guarded by mu_
  AsyncWriter writer_;
};

}  // namespace bt::cli
