#include "cli/progress/log_tail.h"

namespace bt::cli {
namespace {

void AppendCapped(std::string& line, std::string_view piece) {
  if (line.size() >= LogTail::kMaxLineBytes) return;
  line.append(piece.substr(0, LogTail::kMaxLineBytes - line.size()));
}

}  // namespace

void LogTail::Append(std::string_view data, std::chrono::nanoseconds offset) {
  bool first = true;
  while (!data.empty()) {
    const std::size_t newline = data.find('\n');
    const std::string_view piece = data.substr(0, newline);
    if (first && last_line_open_) {
      AppendCapped(lines_.back().text, piece);
    } else {
      lines_.push_back(LogLine{offset, {}});
      AppendCapped(lines_.back().text, piece);
      if (lines_.size() > kMaxLines) lines_.pop_front();
    }
    first = false;
    last_line_open_ = newline == std::string_view::npos;
    data = last_line_open_ ? std::string_view() : data.substr(newline + 1);
  }
}

}  // namespace bt::cli
