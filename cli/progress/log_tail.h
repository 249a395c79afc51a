// LogTail: the last lines one step wrote, kept for the tty view and for the report after a
// failed step. Bounded (kMaxLines lines, each cut at kMaxLineBytes) so a chatty RUN cannot
// grow the renderer's memory. Not thread-safe: the renderer's lock guards it.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

namespace bt::cli {

struct LogLine {
  std::chrono::nanoseconds offset{0};  // when its first piece arrived, since the step started
  std::string text;                    // without the newline; raw bytes as the step wrote them
};

class LogTail {
 public:
  static constexpr std::size_t kMaxLines = 10;  // BuildKit's logsBufferSize
  static constexpr std::size_t kMaxLineBytes = 4096;

  // Splits data at '\n'. The first piece continues the last line when that one has not ended
  // yet; a line keeps the offset of its first piece.
  void Append(std::string_view data, std::chrono::nanoseconds offset);

  const std::deque<LogLine>& lines() const { return lines_; }  // oldest first
  bool last_line_open() const { return last_line_open_; }      // no '\n' after lines().back()
  bool empty() const { return lines_.empty(); }

 private:
  std::deque<LogLine> lines_;
  bool last_line_open_ = false;
};

}  // namespace bt::cli
