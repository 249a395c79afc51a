// PlainProgress: `--progress=plain`, BuildKit's plain text (plain_printer.h) written as each
// event arrives, then at Finish the build summary and the failed steps' last log lines.
// Thread-safe; Emit formats under a lock and leaves the writing to an AsyncWriter.
#pragma once

#include <cstdio>
#include <mutex>

#include "cli/progress/async_writer.h"
#include "cli/progress/build_summary.h"
#include "cli/progress/plain_printer.h"
#include "cli/progress/progress_ui.h"

namespace bt::cli {

class PlainProgress final : public ProgressUi {
 public:
  // `out` is not owned and must outlive the renderer.
  explicit PlainProgress(std::FILE* out);
  ~PlainProgress() override;

  void Emit(const solver::ProgressEvent& event) override;
  void Finish() override;

 private:
  std::mutex mu_;
  PlainPrinter printer_;     // guarded by mu_
  SummaryRecorder summary_;  // guarded by mu_
  bool finished_ = false;    // guarded by mu_
  AsyncWriter writer_;       // takes text in the order mu_ hands it over
};

}  // namespace bt::cli
