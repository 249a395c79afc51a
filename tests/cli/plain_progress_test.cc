// PlainProgress end to end into a memory stream: the printer's lines, then at Finish the
// summary and the failed step's log block; never a control sequence; safe from many threads.
#include "cli/progress/plain_progress.h"

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

using solver::VertexState;
using std::chrono::milliseconds;

const solver::EventTime kT0{std::chrono::seconds(1714564803)};

using test::MemoryStream;

solver::VertexEvent Vertex(const std::string& id, VertexState state, int ms,
                           std::vector<oci::Digest> inputs = {}, std::string error = "") {
  solver::VertexEvent e;
  e.vertex = oci::Digest::Of(id);
  e.name = id;
  e.inputs = std::move(inputs);
  e.state = state;
  e.time = kT0 + milliseconds(ms);
  e.error = std::move(error);
  return e;
}

solver::LogEvent Log(const std::string& id, std::string data, int ms) {
  solver::LogEvent e;
  e.vertex = oci::Digest::Of(id);
  e.data = std::move(data);
  e.time = kT0 + milliseconds(ms);
  return e;
}

TEST_CASE("plain progress ends with the summary, then the failed step's logs", "[cli][plain_progress]") {
  MemoryStream out;
  {
    PlainProgress progress(out.file());
    progress.Emit(Vertex("[1/3] FROM alpine", VertexState::kCached, 0));
    progress.Emit(Vertex("[2/3] RUN make", VertexState::kStarted, 100,
                         {oci::Digest::Of("[1/3] FROM alpine")}));
    progress.Emit(Log("[2/3] RUN make", "\x1b[31merror\x1b[0m: no rule\n", 1100));
    progress.Emit(Log("[2/3] RUN make", "partial", 1200));
    progress.Emit(Vertex("[2/3] RUN make", VertexState::kFailed, 2100,
                         {oci::Digest::Of("[1/3] FROM alpine")}, "exit code: 2"));
    progress.Finish();
    progress.Emit(Vertex("late", VertexState::kStarted, 3000));  // after Finish: dropped
  }
  CHECK(out.text() ==
        "#1 [1/3] FROM alpine\n"
        "#1 CACHED\n"
        "\n"
        "#2 [2/3] RUN make\n"
        "#2 1.000 \x1b[31merror\x1b[0m: no rule\n"  // a step's own colors pass through, as BuildKit's
        "#2 1.100 partial\n"
        "#2 ERROR: exit code: 2\n"
        "\n"
        "Summary: 0 steps executed, 1 cached, 1 failed in 2.1s\n"
        "Critical path (2.0s):\n"
        "  [2/3] RUN make 2.0s\n"
        "------\n"
        " > [2/3] RUN make:\n"
        "1.000 \x1b[31merror\x1b[0m: no rule\n"
        "1.100 partial\n"
        "------\n");
}

TEST_CASE("plain progress writes no control sequences of its own", "[cli][plain_progress]") {
  MemoryStream out;
  PlainProgress progress(out.file());
  progress.Emit(Vertex("a", VertexState::kStarted, 0));
  progress.Emit(Vertex("b", VertexState::kStarted, 0));
  progress.Emit(Log("a", "one\ntwo", 10));
  progress.Emit(Log("b", "three\n", 20));
  progress.Emit(Vertex("a", VertexState::kCompleted, 30));
  progress.Emit(Vertex("b", VertexState::kCanceled, 40));
  progress.Finish();
  const std::string text = out.text();
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find('\r') == std::string::npos);
  CHECK(text.back() == '\n');
}

TEST_CASE("plain progress from many threads keeps every step's lines whole", "[cli][plain_progress]") {
  MemoryStream out;
  constexpr int kThreads = 8;
  constexpr int kLines = 200;
  {
    PlainProgress progress(out.file());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&progress, t] {
        const std::string id = "step" + std::to_string(t);
        progress.Emit(Vertex(id, VertexState::kStarted, 0));
        for (int i = 0; i < kLines; ++i) {
          progress.Emit(Log(id, id + " line " + std::to_string(i) + "\n", 1));
        }
        progress.Emit(Vertex(id, VertexState::kCompleted, 2));
      });
    }
    for (std::thread& thread : threads) thread.join();
  }  // the destructor finishes
  std::istringstream lines(out.text());
  std::set<std::string> logged;
  int done = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" 0.001 step") != std::string::npos) logged.insert(line.substr(line.find("step")));
    if (line.size() >= 9 && line.compare(line.size() - 9, 9, "DONE 0.0s") == 0) ++done;
  }
  CHECK(logged.size() == kThreads * kLines);
  CHECK(done == kThreads);
}

}  // namespace
}  // namespace bt::cli
