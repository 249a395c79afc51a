// --progress values and how auto resolves (BuildKit's progressui.DisplayMode names).
#include "cli/progress/progress_mode.h"

#include <catch2/catch.hpp>

namespace bt::cli {
namespace {

TEST_CASE("every progress mode parses from its BuildKit name and prints back", "[cli][progress_mode]") {
  const std::pair<const char*, ProgressMode> cases[] = {
      {"auto", ProgressMode::kAuto},   {"tty", ProgressMode::kTty},
      {"plain", ProgressMode::kPlain}, {"quiet", ProgressMode::kQuiet},
      {"rawjson", ProgressMode::kRawJson},
  };
  for (const auto& [name, mode] : cases) {
    Result<ProgressMode> parsed = ParseProgressMode(name);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == mode);
    CHECK(ProgressModeName(mode) == name);
  }
}

TEST_CASE("an unknown progress mode is rejected with the list of valid values", "[cli][progress_mode]") {
  for (const char* bad : {"json", "", "Plain", "tty "}) {
    Result<ProgressMode> parsed = ParseProgressMode(bad);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
    CHECK(parsed.error().message == "invalid progress mode \"" + std::string(bad) +
                                        "\": valid values are auto, tty, plain, quiet, rawjson");
  }
}

TEST_CASE("auto is tty on a terminal unless TERM is dumb, else plain", "[cli][progress_mode]") {
  CHECK(ResolveProgressMode(ProgressMode::kAuto, {true, "xterm-256color"}) == ProgressMode::kTty);
  CHECK(ResolveProgressMode(ProgressMode::kAuto, {true, ""}) == ProgressMode::kTty);
  CHECK(ResolveProgressMode(ProgressMode::kAuto, {true, "dumb"}) == ProgressMode::kPlain);
  CHECK(ResolveProgressMode(ProgressMode::kAuto, {false, "xterm"}) == ProgressMode::kPlain);
}

TEST_CASE("a mode other than auto is kept whatever the output is", "[cli][progress_mode]") {
  CHECK(ResolveProgressMode(ProgressMode::kTty, {false, "dumb"}) == ProgressMode::kTty);
  CHECK(ResolveProgressMode(ProgressMode::kPlain, {true, "xterm"}) == ProgressMode::kPlain);
  CHECK(ResolveProgressMode(ProgressMode::kRawJson, {true, "xterm"}) == ProgressMode::kRawJson);
  CHECK(ResolveProgressMode(ProgressMode::kQuiet, {true, "xterm"}) == ProgressMode::kQuiet);
}

}  // namespace
}  // namespace bt::cli
