// The block printed after the progress for a step that failed (not one that was canceled),
// as BuildKit's trace.printErrorLogs does, so the step's last output sits right above the
// error message:
//   ------
//    > [stage 2/2] RUN make:
//   0.512 make: *** [all] Error 1
//   ------
// Pure function, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "cli/progress/log_tail.h"

namespace bt::cli {

std::string FormatErrorLogs(std::string_view step_name, const LogTail& logs);

}  // namespace bt::cli
