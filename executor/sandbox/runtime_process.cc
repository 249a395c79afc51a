#include "executor/sandbox/runtime_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/unique_fd.h"

extern char** environ;

namespace bt::executor {
namespace {

using Clock = std::chrono::steady_clock;

// How long a runtime may take to exit after its container's init was killed before it is
// killed too; and how often `stopping` is polled.
constexpr auto kStopGrace = std::chrono::seconds(5);
constexpr int kPollMs = 50;

int StatusOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

// The messages of error entries in a runtime's JSON log (logrus format, as runc and crun
// write it with --log-format json).
std::string LoggedErrors(const std::string& path) {
  std::ifstream in(path);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    if (!entry.is_object()) continue;
    const auto level = entry.find("level");
    const auto msg = entry.find("msg");
    if (level == entry.end() || msg == entry.end() || !msg->is_string()) continue;
    if (*level != "error" && *level != "fatal") continue;
    if (!out.empty()) out += "; ";
    out += msg->get<std::string>();
  }
  return out;
}

pid_t ReadPid(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return -1;
  return static_cast<pid_t>(pid);
}

// A child started by posix_spawn: killed and reaped if still running when this goes out of
// scope (STYLE.md 2.5).
class SpawnedChild {
 public:
  explicit SpawnedChild(pid_t pid) : pid_(pid) {}
  SpawnedChild(const SpawnedChild&) = delete;
  SpawnedChild& operator=(const SpawnedChild&) = delete;
  ~SpawnedChild() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  pid_t pid() const { return pid_; }
  // The wait status once the child has exited; -1 while it runs.
  int Poll() {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r != pid_) return -1;
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_;
};

// Feeds output to the callback, up to the limit.
class OutputForwarder {
 public:
  explicit OutputForwarder(const RuntimeInvocation& inv) : inv_(inv) {}
  void Take(int stream, const char* data, std::size_t n) {
    if (!inv_.output) return;
    if (passed_ >= inv_.log_limit) {
      if (!clipped_) {
        clipped_ = true;
        std::ostringstream note;
        note << "\n[output clipped, log limit " << (inv_.log_limit >> 20) << "MiB reached]\n";
        inv_.output(2, note.str());
      }
      return;
    }
    const std::size_t take = std::min<std::uint64_t>(n, inv_.log_limit - passed_);
    passed_ += take;
    inv_.output(stream, std::string_view(data, take));
  }

 private:
  const RuntimeInvocation& inv_;
  std::uint64_t passed_ = 0;
  bool clipped_ = false;
};

}  // namespace

Result<RuntimeOutcome> RunOciRuntime(const RuntimeInvocation& inv) {
  const std::string log_file = inv.bundle + "/runtime.log";
  const std::string pid_file = inv.bundle + "/init.pid";
  ::unlink(log_file.c_str());
  ::unlink(pid_file.c_str());
  const std::vector<std::string> argv_strings = {
      inv.runtime, "--root", inv.state_root, "--log", log_file, "--log-format", "json", "run",
      "--bundle", inv.bundle, "--pid-file", pid_file, inv.id};
  std::vector<char*> argv;
  for (const std::string& a : argv_strings) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return ErrnoError("pipe", "", errno);
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return ErrnoError("pipe", "", errno);
  UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);

  // Standard input is an empty pipe whose writer is gone: reads see end of file at once, as
  // from /dev/null, but no host file is handed into the container (a host /dev/null would
  // show in /proc/<pid>/fd/0 under its host path).
  int in_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return ErrnoError("pipe", "", errno);
  UniqueFd in_read(in_pipe[0]);
  UniqueFd(in_pipe[1]).Reset();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a Ctrl-C on the terminal reaches buildtool, which stops the
  // step itself; no signal blocked or ignored by buildtool's threads is inherited.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (const int sig : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP);
  pid_t pid = -1;
  const int spawn_error = inv.runtime.find('/') == std::string::npos
                              ? ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), environ)
                              : ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (spawn_error != 0) {
    return MakeError(spawn_error == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                     "cannot start the OCI runtime " + inv.runtime + ": " +
                         std::string(std::strerror(spawn_error)));
  }
  SpawnedChild child(pid);
  in_read.Reset();
  out_write.Reset();
  err_write.Reset();

  // The runtime's exit is one more fd to poll (a pidfd), so nothing waits for a timer.
  const UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) return ErrnoError("pidfd_open", inv.runtime, errno);

  OutputForwarder forward(inv);
  RuntimeOutcome outcome;
  std::optional<Clock::time_point> kill_deadline;
  int wait_status = -1;
  bool out_open = true, err_open = true;
  char buffer[65536];
  while (true) {
    if (wait_status < 0) wait_status = child.Poll();
    // Done when the runtime has exited and its output is drained. A stream still held open
    // after that is held by nothing of ours: the container went with its pid namespace.
    if (wait_status >= 0 && !out_open && !err_open) break;
    if (inv.stopping && !outcome.stopped && inv.stopping()) {
      outcome.stopped = true;
      const pid_t init = ReadPid(pid_file);
      if (init > 0) ::kill(init, SIGKILL);
      // Before the init exists the runtime itself is stopped (its children die with it).
      if (init <= 0) ::kill(pid, SIGKILL);
      kill_deadline = Clock::now() + kStopGrace;
    }
    if (kill_deadline && Clock::now() > *kill_deadline && wait_status < 0) ::kill(pid, SIGKILL);
    pollfd fds[3];
    nfds_t n = 0;
    if (out_open) fds[n++] = {out_read.get(), POLLIN, 0};
    if (err_open) fds[n++] = {err_read.get(), POLLIN, 0};
    if (wait_status < 0) fds[n++] = {pidfd.get(), POLLIN, 0};
    const int ready = ::poll(fds, n, kPollMs);
    if (ready < 0 && errno != EINTR) return ErrnoError("poll", "", errno);
    bool read_any = false;
    for (nfds_t i = 0; i < n && ready > 0; ++i) {
      if (fds[i].revents == 0 || fds[i].fd == pidfd.get()) continue;
      const bool is_out = fds[i].fd == out_read.get();
      const ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
      if (got > 0) {
        read_any = true;
        forward.Take(is_out ? 1 : 2, buffer, static_cast<std::size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        (is_out ? out_open : err_open) = false;
      }
    }
    if (wait_status >= 0 && !read_any && ready == 0) break;
  }
  outcome.status = StatusOf(wait_status);
  outcome.runtime_error = LoggedErrors(log_file);
  return outcome;
}

}  // namespace bt::executor
