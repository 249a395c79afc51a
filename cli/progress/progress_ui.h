// ProgressUi: a solver::ProgressSink that renders to the user and must be finished. Emit is
// thread-safe and never waits for the output; Finish (from one thread, after the last Emit
// that matters) writes what is pending and the end-of-build text, then returns. Events that
// arrive after Finish are dropped.
#pragma once

#include "solver/progress.h"

namespace bt::cli {

class ProgressUi : public solver::ProgressSink {
 public:
  // Flushes everything, stops any thread the renderer owns and prints its closing text (the
  // build summary, the failed steps' last log lines). Idempotent; every renderer's destructor
  // calls it.
  virtual void Finish() = 0;
};

}  // namespace bt::cli
