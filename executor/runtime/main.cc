// buildtool-runtime: the OCI runtime bundled with buildtool (ARCHITECTURE.md, "The
// sandbox"). It implements the part of runc's command line buildtool uses:
//
//   buildtool-runtime [--root DIR] [--log FILE] [--log-format text|json] run
//       [--bundle|-b DIR] [--pid-file FILE] [--no-new-keyring] ID
//
// and exits with the container process's status (128+N when signal N killed it), or, when
// the container could not be started, 127 (program not found), 126 (not executable) or 125
// (anything else), with the reason on stderr and in the --log file.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.h"
#include "executor/runtime/run.h"

namespace {

using bt::executor::runtime::RunOptions;

constexpr const char* kUsage =
    "usage: buildtool-runtime [--root DIR] [--log FILE] [--log-format text|json] run "
    "[--bundle DIR] [--pid-file FILE] [--no-new-keyring] ID\n";

struct CommandLine {
  RunOptions run;
  std::string log_file;
  std::string log_format = "text";
  bool version = false;
};

// Where errors go besides stderr: runc writes them to --log in logrus's text or JSON format.
void LogError(const CommandLine& cl, const std::string& message) {
  std::fprintf(stderr, "buildtool-runtime: %s\n", message.c_str());
  if (cl.log_file.empty()) return;
  const bt::UniqueFd fd(
      ::open(cl.log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return;
  char when[64];
  const std::time_t now = std::time(nullptr);
  std::tm tm_utc;
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm_utc));
  std::string line;
  if (cl.log_format == "json") {
    line = nlohmann::json{{"level", "error"}, {"msg", message}, {"time", when}}.dump() + "\n";
  } else {
    std::string quoted;
    for (const char c : message) {
      if (c == '"' || c == '\\') quoted.push_back('\\');
      quoted.push_back(c == '\n' ? ' ' : c);
    }
    line = std::string("time=\"") + when + "\" level=error msg=\"" + quoted + "\"\n";
  }
  (void)::write(fd.get(), line.data(), line.size());
}

// "--flag value" or "--flag=value"; advances `i` past what it used.
std::optional<std::string> FlagValue(const std::vector<std::string>& args, std::size_t* i,
                                     std::string_view flag, std::string_view short_flag = "") {
  const std::string& a = args[*i];
  if (a == flag || (!short_flag.empty() && a == short_flag)) {
    if (*i + 1 >= args.size()) return std::nullopt;
    *i += 1;
    return args[*i];
  }
  const std::string prefix = std::string(flag) + "=";
  if (a.rfind(prefix, 0) == 0) return a.substr(prefix.size());
  return std::nullopt;
}

bool IsFlag(const std::string& a, std::string_view flag) {
  return a == flag || a.rfind(std::string(flag) + "=", 0) == 0;
}

// Returns an error message, or "" when `cl` is complete.
std::string Parse(const std::vector<std::string>& args, CommandLine* cl) {
  std::size_t i = 0;
  for (; i < args.size() && args[i].rfind("-", 0) == 0; ++i) {
    const std::string& a = args[i];
    if (a == "--version" || a == "-v") {
      cl->version = true;
      return "";
    }
    if (IsFlag(a, "--root")) {
      const auto v = FlagValue(args, &i, "--root");
      if (!v) return "--root needs a directory";
      cl->run.state_root = *v;
    } else if (IsFlag(a, "--log")) {
      const auto v = FlagValue(args, &i, "--log");
      if (!v) return "--log needs a file";
      cl->log_file = *v;
    } else if (IsFlag(a, "--log-format")) {
      const auto v = FlagValue(args, &i, "--log-format");
      if (!v || (*v != "text" && *v != "json")) return "--log-format must be text or json";
      cl->log_format = *v;
    } else {
      return "global flag " + a + " is unknown or not implemented by buildtool-runtime";
    }
  }
  if (i == args.size()) return "no command given";
  if (args[i] != "run") return "command \"" + args[i] + "\" is not implemented (only run)";
  std::optional<std::string> id;
  for (++i; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("-", 0) != 0) {
      if (id) return "more than one container id given";
      id = a;
    } else if (IsFlag(a, "--bundle") || a == "-b") {
      const auto v = FlagValue(args, &i, "--bundle", "-b");
      if (!v) return "--bundle needs a directory";
      cl->run.bundle = *v;
    } else if (IsFlag(a, "--pid-file")) {
      const auto v = FlagValue(args, &i, "--pid-file");
      if (!v) return "--pid-file needs a file";
      cl->run.pid_file = *v;
    } else if (a == "--no-new-keyring") {
      cl->run.new_session_keyring = false;
    } else {
      return "run flag " + a + " is unknown or not implemented by buildtool-runtime";
    }
  }
  if (!id) return "run needs a container id";
  cl->run.id = *id;
  return "";
}

// The sync socket and every file the runtime opens must not become fd 0, 1 or 2 of the
// container: a caller that closed them gets /dev/null in their place.
void EnsureStandardDescriptors() {
  for (int fd = 0; fd < 3; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1) continue;
    const int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0 && null_fd != fd) {
      ::dup2(null_fd, fd);
      bt::UniqueFd(null_fd).Reset();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  EnsureStandardDescriptors();
  CommandLine cl;
  // runc's defaults: /run/runc for root, $XDG_RUNTIME_DIR/runc otherwise.
  const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
  cl.run.state_root = ::geteuid() != 0 && runtime_dir != nullptr && runtime_dir[0] == '/'
                          ? std::string(runtime_dir) + "/buildtool-runtime"
                          : "/run/buildtool-runtime";
  const std::string problem = Parse(std::vector<std::string>(argv + 1, argv + argc), &cl);
  if (!problem.empty()) {
    LogError(cl, problem);
    std::fputs(kUsage, stderr);
    return 125;
  }
  if (cl.version) {
    std::puts("buildtool-runtime (OCI runtime-spec 1.x subset)");
    return 0;
  }
  cl.run.warn = [](const std::string& message) {
    std::fprintf(stderr, "buildtool-runtime: warning: %s\n", message.c_str());
  };
  bt::Result<int> status = bt::executor::runtime::RunContainer(cl.run);
  if (!status) {
    const bt::Error& e = status.error();
    std::string message;
    for (auto it = e.context.rbegin(); it != e.context.rend(); ++it) message += *it + ": ";
    message += e.message;
    LogError(cl, message);
    return bt::executor::runtime::ExitCodeForError(e);
  }
  return *status;
}
