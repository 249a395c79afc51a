// MakeProgressSink on a stream that is not a terminal (a memory stream): auto falls back to
// plain, tty is refused as BuildKit refuses it, quiet writes nothing, rawjson writes JSON.
#include "cli/progress/make_progress_sink.h"

#include <catch2/catch.hpp>

#include "tests/support/memory_stream.h"
#include <cstdio>
#include <cstdlib>
#include <string>

namespace bt::cli {
namespace {

using test::MemoryStream;

// What the sink for `mode` writes for one cached step.
std::string Render(ProgressMode mode) {
  MemoryStream out;
  Result<std::unique_ptr<ProgressUi>> ui = MakeProgressSink({mode, out.file()});
  REQUIRE(ui.has_value());
  solver::VertexEvent e;
  e.vertex = oci::Digest::Of("from");
  e.name = "[1/1] FROM alpine";
  e.state = solver::VertexState::kCached;
  (*ui)->Emit(e);
  (*ui)->Finish();
  return out.text();
}

TEST_CASE("each mode gets its renderer on a stream that is not a terminal", "[cli][make_progress_sink]") {
  const std::string plain = "#1 [1/1] FROM alpine\n#1 CACHED\n";
  CHECK(Render(ProgressMode::kAuto).rfind(plain, 0) == 0);
  CHECK(Render(ProgressMode::kPlain).rfind(plain, 0) == 0);
  CHECK(Render(ProgressMode::kQuiet).empty());
  CHECK(Render(ProgressMode::kRawJson).rfind("{\"type\":\"vertex\"", 0) == 0);
}

TEST_CASE("tty is refused when the output is not a terminal", "[cli][make_progress_sink]") {
  MemoryStream out;
  Result<std::unique_ptr<ProgressUi>> ui = MakeProgressSink({ProgressMode::kTty, out.file()});
  REQUIRE_FALSE(ui.has_value());
  CHECK(ui.error().code == ErrorCode::kInvalidArgument);
  CHECK(ui.error().message.find("--progress=plain") != std::string::npos);
}

}  // namespace
}  // namespace bt::cli
