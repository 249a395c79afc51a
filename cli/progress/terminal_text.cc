#include "cli/progress/terminal_text.h"

#include "cli/progress/utf8.h"

namespace bt::cli {
namespace {

constexpr char kEsc = '\x1b';
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Bytes an escape sequence at the start of text takes (text[0] is ESC).
std::size_t EscapeLength(std::string_view text) {
  if (text.size() < 2) return text.size();
  if (text[1] == '[') {  // CSI: parameters and intermediates, then a final byte @..~
    std::size_t i = 2;
    while (i < text.size() && !(text[i] >= 0x40 && text[i] <= 0x7E)) ++i;
    return i < text.size() ? i + 1 : i;
  }
  if (text[1] == ']') {  // OSC (titles, hyperlinks): ends with BEL or ESC backslash
    for (std::size_t i = 2; i < text.size(); ++i) {
      if (text[i] == '\a') return i + 1;
      if (text[i] == kEsc && i + 1 < text.size() && text[i + 1] == '\\') return i + 2;
    }
    return text.size();
  }
  return 2;
}

std::size_t CodePointWidth(char32_t c) { return c >= 0x1100 ? 2 : 1; }

}  // namespace

std::string SanitizeForTerminal(std::string_view raw) {
  // What a carriage return overwrites is gone from the screen too; an empty last segment
  // means the bar ended with "\r", so the segment before it is the latest state.
  std::size_t cr = raw.rfind('\r');
  while (cr != std::string_view::npos && cr + 1 == raw.size()) {
    raw.remove_suffix(1);
    cr = raw.rfind('\r');
  }
  if (cr != std::string_view::npos) raw.remove_prefix(cr + 1);

  std::string out;
  out.reserve(raw.size());
  while (!raw.empty()) {
    const char c = raw[0];
    if (c == kEsc) {
      raw.remove_prefix(EscapeLength(raw));
      continue;
    }
    if (c == '\t' || c == '\n') {
      out += ' ';
      raw.remove_prefix(1);
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      raw.remove_prefix(1);
      continue;
    }
    const Utf8Char decoded = DecodeUtf8(raw);
    if (decoded.length == 0) {
      out += kReplacement;
      raw.remove_prefix(1);
      continue;
    }
    // C1 controls: some terminals read U+009B as CSI.
    if (decoded.code_point < 0x80 || decoded.code_point > 0x9F) {
      out.append(raw.substr(0, decoded.length));
    }
    raw.remove_prefix(decoded.length);
  }
  return out;
}

std::size_t DisplayWidth(std::string_view sanitized) {
  std::size_t width = 0;
  while (!sanitized.empty()) {
    const Utf8Char c = DecodeUtf8(sanitized);
    const std::size_t length = c.length == 0 ? 1 : c.length;
    width += CodePointWidth(c.code_point);
    sanitized.remove_prefix(length);
  }
  return width;
}

std::string TruncateToWidth(std::string_view sanitized, std::size_t columns) {
  std::size_t width = 0;
  std::size_t bytes = 0;
  while (bytes < sanitized.size()) {
    const Utf8Char c = DecodeUtf8(sanitized.substr(bytes));
    const std::size_t length = c.length == 0 ? 1 : c.length;
    const std::size_t next = width + CodePointWidth(c.code_point);
    if (next > columns) break;
    width = next;
    bytes += length;
  }
  return std::string(sanitized.substr(0, bytes));
}

}  // namespace bt::cli
