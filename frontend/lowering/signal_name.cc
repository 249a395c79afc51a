#include "frontend/lowering/signal_name.h"

#include <cctype>
#include <charconv>
#include <string>

namespace bt::frontend {
namespace {

// moby/sys/signal's SignalMap for Linux (names without the SIG prefix).
constexpr std::string_view kNames[] = {
    "ABRT", "ALRM", "BUS",  "CHLD", "CLD",    "CONT",   "FPE",    "HUP",  "ILL",  "INT",
    "IO",   "IOT",  "KILL", "PIPE", "POLL",   "PROF",   "PWR",    "QUIT", "SEGV", "STKFLT",
    "STOP", "SYS",  "TERM", "TRAP", "TSTP",   "TTIN",   "TTOU",   "URG",  "USR1", "USR2",
    "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX", "UNUSED"};

bool ParseNumber(std::string_view s, int* out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

}  // namespace

Result<void> CheckSignal(std::string_view signal) {
  int number = 0;
  if (ParseNumber(signal, &number)) {
    if (number >= 1 && number <= 64) return {};
    return MakeError(ErrorCode::kInvalidArgument, "invalid signal: " + std::string(signal));
  }
  std::string name(signal);
  for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (name.rfind("SIG", 0) == 0) name.erase(0, 3);
  for (std::string_view known : kNames) {
    if (name == known) return {};
  }
  // SIGRTMIN+n and SIGRTMAX-n, n in 1..15 (the names moby lists).
  for (std::string_view base : {std::string_view("RTMIN+"), std::string_view("RTMAX-")}) {
    if (name.rfind(base, 0) == 0 && ParseNumber(std::string_view(name).substr(base.size()), &number) &&
        number >= 1 && number <= 15) {
      return {};
    }
  }
  return MakeError(ErrorCode::kInvalidArgument, "invalid signal: " + std::string(signal));
}

}  // namespace bt::frontend
