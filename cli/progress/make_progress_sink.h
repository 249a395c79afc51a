// Chooses and builds the renderer for `--progress`: tty, plain, rawjson or quiet, with auto
// resolved from the output stream (progress_mode.h). The caller owns the result, emits
// events into it and calls Finish before writing anything else to the stream.
#pragma once

#include <cstdio>
#include <memory>

#include "base/result.h"
#include "cli/progress/progress_mode.h"
#include "cli/progress/progress_ui.h"

namespace bt::cli {

struct ProgressOptions {
  ProgressMode mode = ProgressMode::kAuto;
  std::FILE* out = stderr;  // not owned; must outlive the renderer
};

// Reads isatty(out), $TERM and $NO_COLOR (https://no-color.org: the live view without
// colors). kInvalidArgument for --progress=tty when out is not a terminal, as BuildKit
// refuses it.
Result<std::unique_ptr<ProgressUi>> MakeProgressSink(const ProgressOptions& options);

}  // namespace bt::cli
