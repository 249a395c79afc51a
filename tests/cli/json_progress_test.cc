// JsonProgress end to end: one parseable line per event, in order, and the summary last.
#include "cli/progress/json_progress.h"

#include <catch2/catch.hpp>

#include "tests/support/memory_stream.h"
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace bt::cli {
namespace {

using std::chrono::milliseconds;

const solver::EventTime kT0{std::chrono::seconds(1714564803)};

using test::MemoryStream;

TEST_CASE("rawjson writes a line per event and the summary at Finish", "[cli][json_progress]") {
  MemoryStream out;
  JsonProgress progress(out.file());
  solver::VertexEvent start;
  start.vertex = oci::Digest::Of("run");
  start.name = "[1/1] RUN true";
  start.time = kT0;
  progress.Emit(start);
  solver::LogEvent log;
  log.vertex = start.vertex;
  log.data = "ok\n";
  log.time = kT0 + milliseconds(5);
  progress.Emit(log);
  solver::VertexEvent done = start;
  done.state = solver::VertexState::kCompleted;
  done.time = kT0 + milliseconds(1500);
  progress.Emit(done);
  progress.Finish();
  progress.Finish();  // idempotent

  std::istringstream text(out.text());
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(text, line);) lines.push_back(nlohmann::json::parse(line));
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].at("state") == "started");
  CHECK(lines[1].at("data") == "ok\n");
  CHECK(lines[2].at("state") == "completed");
  CHECK(lines[3].at("type") == "summary");
  CHECK(lines[3].at("executed") == 1);
  CHECK(lines[3].at("wall_time_ns") == 1500000000LL);
}

}  // namespace
}  // namespace bt::cli
