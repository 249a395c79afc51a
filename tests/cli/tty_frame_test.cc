// ComposeTtyFrame: BuildKit's live view layout (display.go ttyDisplay.print): a header with
// the elapsed time and finished/total, " => NAME ... TIMER" rows with CACHED/ERROR/CANCELED
// marks, " => => STATUS" rows, " => => # LOG" tails of running steps; cut to the terminal.
#include "cli/progress/tty_frame.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cli/progress/terminal_text.h"

namespace bt::cli {
namespace {

using solver::VertexState;
using std::chrono::milliseconds;

const solver::EventTime kT0{std::chrono::seconds(1714564803)};

solver::VertexEvent Vertex(const std::string& name, VertexState state, int ms,
                           std::string error = "") {
  solver::VertexEvent e;
  e.vertex = oci::Digest::Of(name);
  e.name = name;
  e.state = state;
  e.time = kT0 + milliseconds(ms);
  e.error = std::move(error);
  return e;
}

solver::LogEvent Log(const std::string& name, std::string data, int ms) {
  solver::LogEvent e;
  e.vertex = oci::Digest::Of(name);
  e.data = std::move(data);
  e.time = kT0 + milliseconds(ms);
  return e;
}

solver::StatusEvent Status(const std::string& name, const std::string& id,
                           std::uint64_t current, int ms, bool done) {
  solver::StatusEvent e;
  e.vertex = oci::Digest::Of(name);
  e.id = id;
  e.current = current;
  e.time = kT0 + milliseconds(ms);
  e.done = done;
  return e;
}

// `left`, then the timer right-aligned so the row takes exactly `columns` columns.
std::string Row(const std::string& left, const std::string& timer, std::size_t columns = 59) {
  return left + std::string(columns - left.size() - timer.size(), ' ') + timer;
}

const char kContext[] = "[internal] load build context";
const char kFrom[] = "[1/2] FROM docker.io/library/alpine";
const char kMake[] = "[2/2] RUN make";

// Context loaded and alpine cached; make has run 1s and printed 8 lines.
TtyModel RunningBuild() {
  TtyModel model;
  model.Apply(Vertex(kContext, VertexState::kStarted, 0));
  model.Apply(Status(kContext, "transferring context:", 0, 0, false));
  model.Apply(Status(kContext, "transferring context:", 1200000, 100, true));
  model.Apply(Vertex(kContext, VertexState::kCompleted, 120));
  model.Apply(Vertex(kFrom, VertexState::kCached, 0));
  model.Apply(Vertex(kMake, VertexState::kStarted, 200));
  for (int i = 1; i <= 8; ++i) model.Apply(Log(kMake, "line " + std::to_string(i) + "\n", 300));
  return model;
}

FrameSettings Settings(FrameKind kind, int now_ms) {
  FrameSettings s;
  s.kind = kind;
  s.color = FrameColor::kNone;
  s.now = kT0 + milliseconds(now_ms);
  s.elapsed = milliseconds(now_ms);
  s.width = 60;
  s.height = 30;
  return s;
}

TEST_CASE("a live frame shows every step, its statuses and a running step's log tail", "[cli][tty_frame]") {
  const std::vector<std::string> rows =
      ComposeTtyFrame(RunningBuild(), Settings(FrameKind::kLive, 1200));
  CHECK(rows == std::vector<std::string>{
                    "[+] Building 1.2s (2/3)",
                    Row(" => [internal] load build context", " 0.1s"),
                    Row(" => => transferring context: 1.20MB", " 0.1s"),
                    Row(" => CACHED [1/2] FROM docker.io/library/alpine", " 0.0s"),
                    Row(" => [2/2] RUN make", " 1.0s"),
                    " => => # line 3",
                    " => => # line 4",
                    " => => # line 5",
                    " => => # line 6",
                    " => => # line 7",
                    " => => # line 8",
                });
}

TEST_CASE("the final frame says FINISHED and drops log tails", "[cli][tty_frame]") {
  TtyModel model = RunningBuild();
  model.Apply(Vertex(kMake, VertexState::kCompleted, 2300));
  const std::vector<std::string> rows = ComposeTtyFrame(model, Settings(FrameKind::kFinal, 2400));
  CHECK(rows == std::vector<std::string>{
                    "[+] Building 2.4s (3/3) FINISHED",
                    Row(" => [internal] load build context", " 0.1s"),
                    Row(" => => transferring context: 1.20MB", " 0.1s"),
                    Row(" => CACHED [1/2] FROM docker.io/library/alpine", " 0.0s"),
                    Row(" => [2/2] RUN make", " 2.1s"),
                });
}

TEST_CASE("failed and canceled steps are marked, and a failed build is not FINISHED until all stop", "[cli][tty_frame]") {
  TtyModel model;
  model.Apply(Vertex("[1/2] RUN false", VertexState::kStarted, 0));
  model.Apply(Vertex("[b 1/1] RUN sleep 9", VertexState::kStarted, 0));
  model.Apply(Vertex("[1/2] RUN false", VertexState::kFailed, 300, "exit code: 1"));
  std::vector<std::string> rows = ComposeTtyFrame(model, Settings(FrameKind::kFinal, 400));
  CHECK(rows[0] == "[+] Building 0.4s (1/2)");
  CHECK(rows[1] == Row(" => ERROR [1/2] RUN false", " 0.3s"));
  CHECK(rows[2] == Row(" => [b 1/1] RUN sleep 9", " 0.4s"));

  model.Apply(Vertex("[b 1/1] RUN sleep 9", VertexState::kCanceled, 400));
  rows = ComposeTtyFrame(model, Settings(FrameKind::kFinal, 500));
  CHECK(rows[0] == "[+] Building 0.5s (2/2) FINISHED");
  CHECK(rows[2] == Row(" => CANCELED [b 1/1] RUN sleep 9", " 0.4s"));
}

TEST_CASE("a short terminal keeps running steps and the latest finished ones", "[cli][tty_frame]") {
  FrameSettings s = Settings(FrameKind::kLive, 1200);
  s.height = 5;  // three rows for jobs: too few for the log tail
  const std::vector<std::string> rows = ComposeTtyFrame(RunningBuild(), s);
  CHECK(rows == std::vector<std::string>{
                    "[+] Building 1.2s (2/3)",
                    Row(" => => transferring context: 1.20MB", " 0.1s"),
                    Row(" => CACHED [1/2] FROM docker.io/library/alpine", " 0.0s"),
                    Row(" => [2/2] RUN make", " 1.0s"),
                });
  for (int height : {1, 2, 3, 8, 12}) {
    s.height = height;
    CHECK(static_cast<int>(ComposeTtyFrame(RunningBuild(), s).size()) <= std::max(height - 1, 1));
  }
}

TEST_CASE("rows never reach the terminal's last column", "[cli][tty_frame]") {
  TtyModel model = RunningBuild();
  model.Apply(Vertex(std::string("[3/3] RUN ") + std::string(200, 'x'), VertexState::kStarted, 0));
  model.Apply(Log(std::string("[3/3] RUN ") + std::string(200, 'x'),
                  std::string(300, 'y') + "\n", 10));
  for (int width : {1, 10, 20, 21, 40, 80, 200}) {
    FrameSettings s = Settings(FrameKind::kLive, 1200);
    s.width = width;
    for (const std::string& row : ComposeTtyFrame(model, s)) {
      CAPTURE(width, row);
      CHECK(DisplayWidth(row) <= static_cast<std::size_t>(std::max(width - 1, 1)));
    }
  }
  FrameSettings narrow = Settings(FrameKind::kLive, 1200);
  narrow.width = 20;  // no room for a timer: the bare name, cut
  CHECK(ComposeTtyFrame(model, narrow)[1] == " => [internal] load");
}

TEST_CASE("log rows are stripped of the step's escape sequences", "[cli][tty_frame]") {
  TtyModel model;
  model.Apply(Vertex("[1/1] RUN npm ci", VertexState::kStarted, 0));
  model.Apply(Log("[1/1] RUN npm ci", "\x1b[32madded\x1b[0m 12 packages\n10%\r50%\r90%", 10));
  const std::vector<std::string> rows = ComposeTtyFrame(model, Settings(FrameKind::kLive, 100));
  REQUIRE(rows.size() == 4);
  CHECK(rows[2] == " => => # added 12 packages");
  CHECK(rows[3] == " => => # 90%");
}

TEST_CASE("colors follow BuildKit's: blue done, red error, yellow canceled, faint logs", "[cli][tty_frame]") {
  TtyModel model;
  model.Apply(Vertex("done", VertexState::kCached, 0));
  model.Apply(Vertex("bad", VertexState::kFailed, 0));
  model.Apply(Vertex("stopped", VertexState::kCanceled, 0));
  model.Apply(Vertex("running", VertexState::kStarted, 0));
  model.Apply(Log("running", "out\n", 0));
  FrameSettings s = Settings(FrameKind::kLive, 100);
  s.color = FrameColor::kAnsi;
  const std::vector<std::string> rows = ComposeTtyFrame(model, s);
  REQUIRE(rows.size() == 6);
  CHECK(rows[1].rfind("\x1b[34m", 0) == 0);
  CHECK(rows[2].rfind("\x1b[31m", 0) == 0);
  CHECK(rows[3].rfind("\x1b[33m", 0) == 0);
  CHECK(rows[4].find('\x1b') == std::string::npos);
  CHECK(rows[5] == "\x1b[2m => => # out\x1b[0m");
  for (int i = 1; i <= 3; ++i) CHECK(rows[i].substr(rows[i].size() - 4) == "\x1b[0m");
}

}  // namespace
}  // namespace bt::cli
