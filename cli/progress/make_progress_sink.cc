#include "cli/progress/make_progress_sink.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "cli/progress/json_progress.h"
#include "cli/progress/plain_progress.h"
#include "cli/progress/tty_progress.h"

namespace bt::cli {
namespace {

// --progress=quiet: events are dropped; the build's result is printed elsewhere.
class QuietProgress final : public ProgressUi {
 public:
  void Emit(const solver::ProgressEvent&) override {}
  void Finish() override {}
};

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

Result<std::unique_ptr<ProgressUi>> MakeProgressSink(const ProgressOptions& options) {
  const int fd = fileno(options.out);
  OutputTraits output;
  output.is_terminal = fd >= 0 && isatty(fd) == 1;
  output.term = Env("TERM");
  switch (ResolveProgressMode(options.mode, output)) {
    case ProgressMode::kTty: {
      if (!output.is_terminal) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "--progress=tty needs a terminal, and the progress output is not one; "
                         "use --progress=plain");
      }
      TtyOptions tty;
      tty.out = options.out;
      tty.color = Env("NO_COLOR").empty() ? FrameColor::kAnsi : FrameColor::kNone;
      return std::unique_ptr<ProgressUi>(std::make_unique<TtyProgress>(tty));
    }
    case ProgressMode::kRawJson:
      return std::unique_ptr<ProgressUi>(std::make_unique<JsonProgress>(options.out));
    case ProgressMode::kQuiet:
      return std::unique_ptr<ProgressUi>(std::make_unique<QuietProgress>());
    case ProgressMode::kAuto:  // resolved above; never left as auto
    case ProgressMode::kPlain:
      break;
  }
  return std::unique_ptr<ProgressUi>(std::make_unique<PlainProgress>(options.out));
}

}  // namespace bt::cli
