#include "cli/progress/error_logs.h"

#include "cli/progress/time_text.h"

namespace bt::cli {

std::string FormatErrorLogs(std::string_view step_name, const LogTail& logs) {
  std::string out = "------\n > ";
  out.append(step_name).append(":\n");
  for (const LogLine& line : logs.lines()) {
    out.append(FormatLogOffset(line.offset)).append(" ").append(line.text).append("\n");
  }
  out += "------\n";
  return out;
}

}  // namespace bt::cli
