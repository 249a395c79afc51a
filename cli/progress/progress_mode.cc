#include "cli/progress/progress_mode.h"

#include <array>

namespace bt::cli {
namespace {

constexpr std::array kModes = {ProgressMode::kAuto, ProgressMode::kTty, ProgressMode::kPlain,
                               ProgressMode::kQuiet, ProgressMode::kRawJson};

}  // namespace

std::string_view ProgressModeName(ProgressMode mode) {
  switch (mode) {
    case ProgressMode::kAuto: return "auto";
    case ProgressMode::kTty: return "tty";
    case ProgressMode::kPlain: return "plain";
    case ProgressMode::kQuiet: return "quiet";
    case ProgressMode::kRawJson: return "rawjson";
  }
  return "auto";
}

Result<ProgressMode> ParseProgressMode(std::string_view text) {
  std::string valid;
  for (ProgressMode mode : kModes) {
    if (text == ProgressModeName(mode)) return mode;
    if (!valid.empty()) valid += ", ";
    valid += ProgressModeName(mode);
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "invalid progress mode \"" + std::string(text) + "\": valid values are " + valid);
}

ProgressMode ResolveProgressMode(ProgressMode mode, const OutputTraits& output) {
  if (mode != ProgressMode::kAuto) return mode;
  return output.is_terminal && output.term != "dumb" ? ProgressMode::kTty : ProgressMode::kPlain;
}

}  // namespace bt::cli
