// The rawjson lines: each parses on its own and carries every member of its event, in the
// documented encodings (progress_json.h).
#include "cli/progress/progress_json.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace bt::cli {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

const solver::EventTime kT0{std::chrono::seconds(1714564803)};

json Parse(const std::string& line) {
  REQUIRE(!line.empty());
  CHECK(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);  // exactly one line
  return json::parse(line);
}

TEST_CASE("a vertex event becomes one JSON line with all its members", "[cli][progress_json]") {
  solver::VertexEvent e;
  e.vertex = oci::Digest::Of("run");
  e.name = "[2/3] RUN make \"all\"";
  e.inputs = {oci::Digest::Of("from"), oci::Digest::Of("context")};
  e.state = solver::VertexState::kFailed;
  e.time = kT0 + milliseconds(120);
  e.error = "exit code: 2";
  const json j = Parse(ProgressEventJson(e));
  CHECK(j.at("type") == "vertex");
  CHECK(j.at("vertex") == oci::Digest::Of("run").ToString());
  CHECK(j.at("name") == "[2/3] RUN make \"all\"");
  CHECK(j.at("inputs") == json::array({oci::Digest::Of("from").ToString(),
                                       oci::Digest::Of("context").ToString()}));
  CHECK(j.at("state") == "failed");
  CHECK(j.at("time") == "2024-05-01T12:00:03.120000000Z");
  CHECK(j.at("error") == "exit code: 2");
  CHECK(j.size() == 7);
}

TEST_CASE("vertex states are lowercase words", "[cli][progress_json]") {
  CHECK(VertexStateName(solver::VertexState::kStarted) == "started");
  CHECK(VertexStateName(solver::VertexState::kCached) == "cached");
  CHECK(VertexStateName(solver::VertexState::kCompleted) == "completed");
  CHECK(VertexStateName(solver::VertexState::kFailed) == "failed");
  CHECK(VertexStateName(solver::VertexState::kCanceled) == "canceled");
}

TEST_CASE("log data travels as text when UTF-8 and as base64 otherwise", "[cli][progress_json]") {
  solver::LogEvent e;
  e.vertex = oci::Digest::Of("run");
  e.stream = 2;
  e.time = kT0;
  SECTION("UTF-8, with quotes, controls and newlines escaped") {
    e.data = "caf\xC3\xA9 \"quoted\"\t\x1b[1mbold\x1b[0m\n";
    const json j = Parse(ProgressEventJson(e));
    CHECK(j.at("type") == "log");
    CHECK(j.at("vertex") == oci::Digest::Of("run").ToString());
    CHECK(j.at("stream") == 2);
    CHECK(j.at("data") == e.data);
    CHECK(j.at("data_encoding") == "utf-8");
    CHECK(j.at("time") == "2024-05-01T12:00:03.000000000Z");
    CHECK(j.size() == 6);
  }
  SECTION("not UTF-8: the exact bytes in base64") {
    e.data = std::string("\xff\xfeok\n");
    const json j = Parse(ProgressEventJson(e));
    CHECK(j.at("data") == "//5vawo=");
    CHECK(j.at("data_encoding") == "base64");
  }
}

TEST_CASE("a status event carries its counters and done flag", "[cli][progress_json]") {
  solver::StatusEvent e;
  e.vertex = oci::Digest::Of("ctx");
  e.id = "transferring context:";
  e.current = 18446744073709551615ULL;
  e.total = 0;
  e.time = kT0 + std::chrono::nanoseconds(1);
  e.done = true;
  const json j = Parse(ProgressEventJson(e));
  CHECK(j.at("type") == "status");
  CHECK(j.at("vertex") == oci::Digest::Of("ctx").ToString());
  CHECK(j.at("id") == "transferring context:");
  CHECK(j.at("current").get<std::uint64_t>() == 18446744073709551615ULL);
  CHECK(j.at("total") == 0);
  CHECK(j.at("done") == true);
  CHECK(j.at("time") == "2024-05-01T12:00:03.000000001Z");
  CHECK(j.size() == 7);
}

TEST_CASE("a name that is not UTF-8 still gives a parseable line", "[cli][progress_json]") {
  solver::VertexEvent e;
  e.vertex = oci::Digest::Of("odd");
  e.name = std::string("RUN echo \xff");
  const json j = Parse(ProgressEventJson(e));
  CHECK(j.at("name") == "RUN echo \xEF\xBF\xBD");
}

TEST_CASE("the summary line carries counts, times and the critical path", "[cli][progress_json]") {
  BuildSummary s;
  s.executed = 3;
  s.cached = 1;
  s.failed = 1;
  s.canceled = 2;
  s.wall_time = milliseconds(4200);
  s.critical_path = {{oci::Digest::Of("a"), "[1/2] RUN a", milliseconds(3000)}};
  s.critical_time = milliseconds(3000);
  const json j = Parse(BuildSummaryJson(s));
  CHECK(j.at("type") == "summary");
  CHECK(j.at("executed") == 3);
  CHECK(j.at("cached") == 1);
  CHECK(j.at("failed") == 1);
  CHECK(j.at("canceled") == 2);
  CHECK(j.at("wall_time_ns") == 4200000000LL);
  CHECK(j.at("critical_time_ns") == 3000000000LL);
  REQUIRE(j.at("critical_path").size() == 1);
  CHECK(j.at("critical_path")[0].at("vertex") == oci::Digest::Of("a").ToString());
  CHECK(j.at("critical_path")[0].at("name") == "[1/2] RUN a");
  CHECK(j.at("critical_path")[0].at("duration_ns") == 3000000000LL);
}

}  // namespace
}  // namespace bt::cli
