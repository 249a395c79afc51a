#include "cli/error_report.h"

#include <vector>

namespace bt::cli {
namespace {

// Lines [start, end] of text, 1-based; fewer when the text is shorter.
std::vector<std::string_view> SourceLines(std::string_view text, int start, int end) {
  std::vector<std::string_view> out;
  int line = 1;
  while (!text.empty() && line <= end) {
    const std::size_t nl = text.find('\n');
    std::string_view l = text.substr(0, nl);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (line >= start) out.push_back(l);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
    ++line;
  }
  return out;
}

// At most this many source lines are quoted; a long heredoc would drown the message.
constexpr int kMaxQuotedLines = 6;

}  // namespace

std::string FormatError(const Error& error, std::string_view source) {
  std::string out;
  if (error.where) {
    out += error.where->file.empty() ? "<input>" : error.where->file;
    out += ':' + std::to_string(error.where->start_line);
    if (error.where->end_line > error.where->start_line) {
      out += '-' + std::to_string(error.where->end_line);
    }
    out += ": ";
  }
  out += "error: ";  // as compilers say it: the line is the failure, whatever words follow
  for (auto it = error.context.rbegin(); it != error.context.rend(); ++it) out += *it + ": ";
  out += error.message;
  out += '\n';
  if (error.where && !source.empty()) {
    const int start = error.where->start_line;
    const int end = std::min(error.where->end_line, start + kMaxQuotedLines - 1);
    int n = start;
    for (std::string_view line : SourceLines(source, start, end)) {
      out += " " + std::to_string(n++) + " | ";
      out.append(line);
      out += '\n';
    }
  }
  return out;
}

}  // namespace bt::cli
