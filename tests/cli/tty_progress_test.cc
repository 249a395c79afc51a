// TtyProgress into a memory stream: live frames redrawn in place by its thread, then a final
// frame with every step and FINISHED, the summary, and the failed step's last log lines.
#include "cli/progress/tty_progress.h"

#include <catch2/catch.hpp>

#include "tests/support/memory_stream.h"
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace bt::cli {
namespace {

using solver::VertexState;
using std::chrono::milliseconds;

using test::MemoryStream;

solver::VertexEvent Vertex(const std::string& name, VertexState state,
                           solver::EventTime time, std::string error = "") {
  solver::VertexEvent e;
  e.vertex = oci::Digest::Of(name);
  e.name = name;
  e.state = state;
  e.time = time;
  e.error = std::move(error);
  return e;
}

solver::LogEvent Log(const std::string& name, std::string data, solver::EventTime time) {
  solver::LogEvent e;
  e.vertex = oci::Digest::Of(name);
  e.data = std::move(data);
  e.time = time;
  return e;
}

TtyOptions Options(std::FILE* out) {
  TtyOptions options;
  options.out = out;
  options.color = FrameColor::kNone;
  options.interval = milliseconds(5);
  return options;
}

TEST_CASE("the tty view redraws in place and leaves a final frame and summary", "[cli][tty_progress]") {
  MemoryStream out;
  const solver::EventTime t0 = std::chrono::system_clock::now();
  {
    TtyProgress progress(Options(out.file()));
    progress.Emit(Vertex("[1/3] FROM alpine", VertexState::kCached, t0));
    progress.Emit(Vertex("[2/3] RUN make", VertexState::kStarted, t0));
    progress.Emit(Log("[2/3] RUN make", "building\n", t0 + milliseconds(1)));
    std::this_thread::sleep_for(milliseconds(60));  // several live frames
    progress.Emit(Vertex("[2/3] RUN make", VertexState::kCompleted, t0 + milliseconds(2)));
    progress.Emit(Vertex("[3/3] COPY out /", VertexState::kStarted, t0 + milliseconds(2)));
    progress.Emit(Vertex("[3/3] COPY out /", VertexState::kCompleted, t0 + milliseconds(3)));
    progress.Finish();
  }
  const std::string text = out.text();
  CHECK(text.find(" => => # building") != std::string::npos);  // a live frame showed the log
  CHECK(text.find("\x1b[?25l") != std::string::npos);
  const std::size_t up = text.rfind("A\r");  // the last redraw's cursor-up, then column 0
  REQUIRE(up != std::string::npos);

  // Everything after the final frame's redraw: the frame itself, then the summary.
  const std::string last = text.substr(up);
  CHECK(last.find("[+] Building ") != std::string::npos);
  CHECK(last.find("(3/3) FINISHED") != std::string::npos);
  CHECK(last.find(" => CACHED [1/3] FROM alpine") != std::string::npos);
  CHECK(last.find(" => [2/3] RUN make") != std::string::npos);
  CHECK(last.find(" => [3/3] COPY out /") != std::string::npos);
  CHECK(last.find(" => => # building") == std::string::npos);  // no log tail in the final frame
  CHECK(last.find("Summary: 2 steps executed, 1 cached in ") != std::string::npos);
  CHECK(text.back() == '\n');  // nothing left on a partial line
}

TEST_CASE("a failed step's last log lines stay visible under the final frame", "[cli][tty_progress]") {
  MemoryStream out;
  const solver::EventTime t0 = std::chrono::system_clock::now();
  TtyProgress progress(Options(out.file()));
  progress.Emit(Vertex("[1/1] RUN make", VertexState::kStarted, t0));
  progress.Emit(Log("[1/1] RUN make", "main.c:3: error: expected ';'\n", t0 + milliseconds(100)));
  progress.Emit(Vertex("[1/1] RUN make", VertexState::kFailed, t0 + milliseconds(200), "exit code: 2"));
  progress.Finish();
  const std::string text = out.text();
  const std::string block =
      "------\n"
      " > [1/1] RUN make:\n"
      "0.100 main.c:3: error: expected ';'\n"
      "------\n";
  REQUIRE(text.size() >= block.size());
  CHECK(text.substr(text.size() - block.size()) == block);
  CHECK(text.find(" => ERROR [1/1] RUN make") != std::string::npos);
  CHECK(text.find("(1/1) FINISHED") != std::string::npos);
}

TEST_CASE("the tty view writes nothing when no event came", "[cli][tty_progress]") {
  MemoryStream out;
  {
    TtyProgress progress(Options(out.file()));
    std::this_thread::sleep_for(milliseconds(20));
  }
  CHECK(out.text().empty());
}

}  // namespace
}  // namespace bt::cli
