// AsyncWriter: order and wholeness of chunks from many threads, and what happens when the
// reader of the output stalls (the writer never makes Write wait; it drops and says so).
#include "cli/progress/async_writer.h"

#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/support/memory_stream.h"
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace bt::cli {
namespace {

using test::MemoryStream;

TEST_CASE("chunks from one thread come out in order, from many threads whole", "[cli][async_writer]") {
  MemoryStream out;
  {
    AsyncWriter writer(out.file());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&writer, t] {
        for (int i = 0; i < 500; ++i) {
          writer.Write("t" + std::to_string(t) + " " + std::to_string(i) + "\n");
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    writer.Close();
    writer.Write("after close\n");  // ignored
  }
  std::istringstream lines(out.text());
  std::vector<int> next(4, 0);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    const int t = line[1] - '0';
    REQUIRE(line == "t" + std::to_string(t) + " " + std::to_string(next[t]));
    ++next[t];
  }
  CHECK(count == 2000);
}

TEST_CASE("a stalled reader makes the writer drop, not block, and report the loss", "[cli][async_writer]") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::FILE* out = fdopen(fds[1], "w");
  REQUIRE(out != nullptr);
  const std::string first(150000, 'a');  // more than the pipe holds: the writer thread blocks
  {
    AsyncWriter writer(out, 200000);
    writer.Write(first);
    writer.Write(std::string(100000, 'b'));  // 250000 pending would pass the limit: dropped
    writer.Write("tail\n");                  // still fits
    std::string read;
    std::thread reader([&] {
      char buf[65536];
      for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) read.append(buf, n);
    });
    writer.Close();
    std::fclose(out);
    reader.join();
    CHECK(read == first + "tail\n" +
                      "\n[buildtool: 100000 bytes of progress output dropped: the output was not "
                      "read fast enough]\n");
  }
  ::close(fds[0]);
}

}  // namespace
}  // namespace bt::cli
