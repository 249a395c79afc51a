// Rows of the live view must not move the cursor or wrap: sanitizing and cutting text from
// the build.
#include "cli/progress/terminal_text.h"

#include <catch2/catch.hpp>

namespace bt::cli {
namespace {

TEST_CASE("escape sequences and control characters are removed", "[cli][terminal_text]") {
  CHECK(SanitizeForTerminal("\x1b[31mred\x1b[0m text") == "red text");
  CHECK(SanitizeForTerminal("up\x1b[2A\x1b[Kdown") == "updown");
  CHECK(SanitizeForTerminal("\x1b]0;title\x07name") == "name");
  CHECK(SanitizeForTerminal("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\") == "link");
  CHECK(SanitizeForTerminal("bell\x07 back\x08 del\x7f") == "bell back del");
  CHECK(SanitizeForTerminal("a\tb\nc") == "a b c");
  CHECK(SanitizeForTerminal("c1\xC2\x9B" "2J") == "c12J");  // U+009B is CSI on some terminals
}

TEST_CASE("a carriage return keeps the latest state of a progress bar", "[cli][terminal_text]") {
  CHECK(SanitizeForTerminal("10%\r20%\r30%") == "30%");
  CHECK(SanitizeForTerminal("10%\r20%\r") == "20%");
  CHECK(SanitizeForTerminal("done\r\r") == "done");
}

TEST_CASE("invalid UTF-8 becomes the replacement character", "[cli][terminal_text]") {
  CHECK(SanitizeForTerminal("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
  CHECK(SanitizeForTerminal("\xC3\xA9t\xC3\xA9") == "\xC3\xA9t\xC3\xA9");
}

TEST_CASE("widths count wide characters as two and cuts fall between characters", "[cli][terminal_text]") {
  CHECK(DisplayWidth("abc") == 3);
  CHECK(DisplayWidth("\xC3\xA9") == 1);
  CHECK(DisplayWidth("\xE6\x97\xA5\xE6\x9C\xAC") == 4);  // two CJK ideographs
  CHECK(TruncateToWidth("abcdef", 4) == "abcd");
  CHECK(TruncateToWidth("abc", 10) == "abc");
  CHECK(TruncateToWidth("\xC3\xA9\xC3\xA9\xC3\xA9", 2) == "\xC3\xA9\xC3\xA9");
  CHECK(TruncateToWidth("a\xE6\x97\xA5" "b", 2) == "a");  // the wide one would not fit
}

}  // namespace
}  // namespace bt::cli
