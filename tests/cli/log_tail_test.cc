// LogTail: lines split as BuildKit's trace.update splits log chunks (a piece without '\n'
// stays open and the next chunk continues it), bounded in lines and bytes.
#include "cli/progress/log_tail.h"

#include <catch2/catch.hpp>
#include <string>

namespace bt::cli {
namespace {

using std::chrono::milliseconds;

TEST_CASE("log chunks split into lines and an unfinished line is continued", "[cli][log_tail]") {
  LogTail tail;
  tail.Append("one\ntw", milliseconds(100));
  REQUIRE(tail.lines().size() == 2);
  CHECK(tail.last_line_open());
  tail.Append("o\nthree\n", milliseconds(300));
  REQUIRE(tail.lines().size() == 3);
  CHECK_FALSE(tail.last_line_open());
  CHECK(tail.lines()[0].text == "one");
  CHECK(tail.lines()[1].text == "two");
  CHECK(tail.lines()[1].offset == milliseconds(100));  // the time of its first piece
  CHECK(tail.lines()[2].text == "three");
  CHECK(tail.lines()[2].offset == milliseconds(300));
}

TEST_CASE("an empty line is a line and an empty chunk is nothing", "[cli][log_tail]") {
  LogTail tail;
  tail.Append("", milliseconds(1));
  CHECK(tail.empty());
  tail.Append("\n\n", milliseconds(1));
  REQUIRE(tail.lines().size() == 2);
  CHECK(tail.lines()[0].text.empty());
  CHECK_FALSE(tail.last_line_open());
}

TEST_CASE("only the last lines are kept, each cut at the byte limit", "[cli][log_tail]") {
  LogTail tail;
  for (int i = 0; i < 25; ++i) tail.Append("line " + std::to_string(i) + "\n", milliseconds(i));
  REQUIRE(tail.lines().size() == LogTail::kMaxLines);
  CHECK(tail.lines().front().text == "line 15");
  CHECK(tail.lines().back().text == "line 24");

  tail.Append(std::string(LogTail::kMaxLineBytes + 100, 'x'), milliseconds(30));
  tail.Append(std::string(50, 'y') + "\n", milliseconds(31));
  CHECK(tail.lines().back().text == std::string(LogTail::kMaxLineBytes, 'x'));
  CHECK(tail.lines().size() == LogTail::kMaxLines);
}

}  // namespace
}  // namespace bt::cli
