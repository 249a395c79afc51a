// PlainPrinter against the line formats of BuildKit's util/progress/progressui/printer.go
// (textMux.printVtx) and display.go (log timestamps): "#N NAME", "#N <%.3f> line",
// "#N ID <bytes> <%.1fs> done", "#N CACHED", "#N DONE %.1fs", "#N ERROR: msg", "#N CANCELED",
// "#N ..." when another step takes over, and a blank line between runs of lines.
#include "cli/progress/plain_printer.h"

#include <catch2/catch.hpp>
#include <string>

namespace bt::cli {
namespace {

using solver::VertexState;
using std::chrono::milliseconds;

const solver::EventTime kT0{std::chrono::seconds(1714564803)};

solver::EventTime At(int ms) { return kT0 + milliseconds(ms); }

oci::Digest D(const std::string& name) { return oci::Digest::Of(name); }

solver::VertexEvent Vertex(const std::string& id, const std::string& name, VertexState state,
                           int ms, std::string error = "") {
  solver::VertexEvent e;
  e.vertex = D(id);
  e.name = name;
  e.state = state;
  e.time = At(ms);
  e.error = std::move(error);
  return e;
}

solver::LogEvent Log(const std::string& id, std::string data, int ms) {
  solver::LogEvent e;
  e.vertex = D(id);
  e.data = std::move(data);
  e.time = At(ms);
  return e;
}

solver::StatusEvent Status(const std::string& id, const std::string& status,
                           std::uint64_t current, std::uint64_t total, int ms, bool done) {
  solver::StatusEvent e;
  e.vertex = D(id);
  e.id = status;
  e.current = current;
  e.total = total;
  e.time = At(ms);
  e.done = done;
  return e;
}

TEST_CASE("a sequential build prints BuildKit's plain lines", "[cli][plain_printer]") {
  PlainPrinter p;
  std::string out;
  out += p.Print(Vertex("def", "[internal] load build definition from Dockerfile", VertexState::kStarted, 0));
  out += p.Print(Status("def", "transferring dockerfile:", 32, 0, 0, false));
  out += p.Print(Status("def", "transferring dockerfile:", 1200, 0, 30, true));
  out += p.Print(Vertex("def", "", VertexState::kCompleted, 40));
  out += p.Print(Vertex("from", "[1/3] FROM docker.io/library/alpine:3.19", VertexState::kCached, 50));
  out += p.Print(Vertex("run", "[2/3] RUN echo hi", VertexState::kStarted, 1000));
  out += p.Print(Log("run", "hi\n", 1123));
  out += p.Print(Vertex("run", "", VertexState::kCompleted, 2260));
  CHECK(out ==
        "#1 [internal] load build definition from Dockerfile\n"
        "#1 transferring dockerfile: 32B\n"
        "#1 transferring dockerfile: 1.20kB 0.0s done\n"
        "#1 DONE 0.0s\n"
        "\n"
        "#2 [1/3] FROM docker.io/library/alpine:3.19\n"
        "#2 CACHED\n"
        "\n"
        "#3 [2/3] RUN echo hi\n"
        "#3 0.123 hi\n"
        "#3 DONE 1.3s\n");
}

TEST_CASE("interleaved steps repeat their header after another step printed", "[cli][plain_printer]") {
  PlainPrinter p;
  std::string out;
  out += p.Print(Vertex("a", "[a 1/1] RUN build-a", VertexState::kStarted, 0));
  out += p.Print(Vertex("b", "[b 1/1] RUN build-b", VertexState::kStarted, 0));
  out += p.Print(Log("a", "a1\n", 100));
  out += p.Print(Log("a", "a2\n", 150));
  out += p.Print(Log("b", "b1\n", 200));
  out += p.Print(Vertex("a", "", VertexState::kCompleted, 500));
  out += p.Print(Vertex("b", "", VertexState::kCompleted, 600));
  CHECK(out ==
        "#1 [a 1/1] RUN build-a\n"
        "#1 ...\n"
        "\n"
        "#2 [b 1/1] RUN build-b\n"
        "#2 ...\n"
        "\n"
        "#1 [a 1/1] RUN build-a\n"
        "#1 0.100 a1\n"
        "#1 0.150 a2\n"
        "#1 ...\n"
        "\n"
        "#2 [b 1/1] RUN build-b\n"
        "#2 0.200 b1\n"
        "#2 ...\n"
        "\n"
        "#1 [a 1/1] RUN build-a\n"
        "#1 DONE 0.5s\n"
        "\n"
        "#2 [b 1/1] RUN build-b\n"
        "#2 DONE 0.6s\n");
}

TEST_CASE("an unfinished log line is continued, and shown whole again after a switch", "[cli][plain_printer]") {
  PlainPrinter p;
  std::string out;
  out += p.Print(Vertex("a", "[1/1] RUN fetch", VertexState::kStarted, 0));
  out += p.Print(Log("a", "downloading", 500));
  out += p.Print(Log("a", "... done\nnext\n", 700));
  out += p.Print(Log("a", "50%", 1000));
  out += p.Print(Vertex("b", "[internal] load metadata", VertexState::kStarted, 1100));
  out += p.Print(Log("a", " 100%\n", 1200));
  CHECK(out ==
        "#1 [1/1] RUN fetch\n"
        "#1 0.500 downloading... done\n"
        "#1 0.700 next\n"
        "#1 1.000 50%\n"  // printer.go ends the open line before "#1 ..."
        "#1 ...\n"
        "\n"
        "#2 [internal] load metadata\n"
        "#2 ...\n"
        "\n"
        "#1 [1/1] RUN fetch\n"
        "#1 1.000 50% 100%\n");
}

TEST_CASE("an open log line ends before the step's DONE and before the end", "[cli][plain_printer]") {
  PlainPrinter p;
  std::string out;
  out += p.Print(Vertex("a", "[1/1] RUN printf x", VertexState::kStarted, 0));
  out += p.Print(Log("a", "x", 10));
  out += p.Print(Vertex("a", "", VertexState::kCompleted, 100));
  CHECK(out == "#1 [1/1] RUN printf x\n#1 0.010 x\n#1 DONE 0.1s\n");

  PlainPrinter q;
  std::string open = q.Print(Vertex("a", "[1/1] RUN sleep", VertexState::kStarted, 0));
  open += q.Print(Log("a", "waiting", 10));
  CHECK(open == "#1 [1/1] RUN sleep\n#1 0.010 waiting");
  CHECK(q.EndOpenLine() == "\n");
  CHECK(q.EndOpenLine() == "");
}

TEST_CASE("failed and canceled steps print ERROR and CANCELED, and the failed step's logs", "[cli][plain_printer]") {
  PlainPrinter p;
  std::string out;
  out += p.Print(Vertex("make", "[2/3] RUN make", VertexState::kStarted, 0));
  out += p.Print(Log("make", "cc -c main.c\nmake: *** [all] Error 1\n", 250));
  out += p.Print(Vertex("make", "", VertexState::kFailed, 300,
                        "process \"/bin/sh -c make\" did not complete successfully: exit code: 2"));
  out += p.Print(Vertex("test", "[3/3] RUN make test", VertexState::kCanceled, 310));
  CHECK(out ==
        "#1 [2/3] RUN make\n"
        "#1 0.250 cc -c main.c\n"
        "#1 0.250 make: *** [all] Error 1\n"
        "#1 ERROR: process \"/bin/sh -c make\" did not complete successfully: exit code: 2\n"
        "\n"
        "#2 [3/3] RUN make test\n"
        "#2 CANCELED\n");
  // display.go printErrorLogs: the failed step's last lines between dashes; not canceled ones.
  CHECK(p.FailedStepLogs() ==
        "------\n"
        " > [2/3] RUN make:\n"
        "0.250 cc -c main.c\n"
        "0.250 make: *** [all] Error 1\n"
        "------\n");
}

TEST_CASE("status updates are throttled to 5% of the total or 5 seconds", "[cli][plain_printer]") {
  PlainPrinter p;
  std::string out;
  const std::uint64_t total = 100000000;
  out += p.Print(Vertex("pull", "[1/2] FROM docker.io/library/golang:1.22", VertexState::kStarted, 0));
  out += p.Print(Status("pull", "sha256:1f2e", 1000000, total, 0, false));
  out += p.Print(Status("pull", "sha256:1f2e", 3000000, total, 1000, false));  // 2%, 1s: held
  out += p.Print(Status("pull", "sha256:1f2e", 7000000, total, 2000, false));  // 6%
  out += p.Print(Status("pull", "sha256:1f2e", 7500000, total, 8000, false));  // 6s later
  out += p.Print(Status("pull", "sha256:1f2e", total, total, 9000, true));
  out += p.Print(Status("pull", "extracting sha256:1f2e", 0, 0, 9000, false));
  out += p.Print(Status("pull", "extracting sha256:1f2e", 0, 0, 9005, true));  // under 10ms
  CHECK(out ==
        "#1 [1/2] FROM docker.io/library/golang:1.22\n"
        "#1 sha256:1f2e 1.00MB / 100.00MB\n"
        "#1 sha256:1f2e 7.00MB / 100.00MB 2.0s\n"
        "#1 sha256:1f2e 7.50MB / 100.00MB 8.0s\n"
        "#1 sha256:1f2e 100.00MB / 100.00MB 9.0s done\n"
        "#1 extracting sha256:1f2e\n"
        "#1 extracting sha256:1f2e done\n");
}

TEST_CASE("log timestamps widen with the step's age as display.go's do", "[cli][plain_printer]") {
  PlainPrinter p;
  std::string out;
  out += p.Print(Vertex("a", "[1/1] RUN long", VertexState::kStarted, 0));
  out += p.Print(Log("a", "early\n", 0));
  out += p.Print(Log("a", "later\n", 12500));
  out += p.Print(Log("a", "much later\n", 123400));
  CHECK(out ==
        "#1 [1/1] RUN long\n"
        "#1 0.000 early\n"
        "#1 12.50 later\n"
        "#1 123.4 much later\n");
}

TEST_CASE("a status cuts an open log line instead of gluing onto it", "[cli][plain_printer]") {
  PlainPrinter p;
  std::string out;
  out += p.Print(Vertex("a", "[1/1] COPY . /src", VertexState::kStarted, 0));
  out += p.Print(Log("a", "copying", 10));
  out += p.Print(Status("a", "copy", 0, 0, 20, true));
  out += p.Print(Log("a", " more\n", 30));
  CHECK(out ==
        "#1 [1/1] COPY . /src\n"
        "#1 0.010 copying\n"
        "#1 copy done\n"
        "#1 0.010 copying more\n");
}

}  // namespace
}  // namespace bt::cli
