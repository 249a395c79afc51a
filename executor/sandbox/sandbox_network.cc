#include "executor/sandbox/sandbox_network.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace bt::executor {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kOutputShown = 4096;  // the tail of slirp4netns's output in an error

// `name` itself when it holds a '/', else the first executable `name` in $PATH; "" if none.
std::string FindExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* env = ::getenv("PATH");
  const std::string path = env != nullptr && *env != '\0' ? env : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t colon = std::min(path.find(':', start), path.size());
    const std::string dir = colon == start ? "." : path.substr(start, colon - start);
    const std::string candidate = dir + "/" + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = colon + 1;
  }
  return "";
}

// A descriptor number of at least 3, so the child's dup2 onto 0..2 cannot overwrite it (a
// caller that closed its stdin would otherwise get fd 0 from pipe2).
Result<UniqueFd> AboveStdio(UniqueFd fd) {
  if (fd.get() > 2) return fd;
  UniqueFd moved(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3));
  if (!moved.valid()) return ErrnoError("duplicate", "a pipe for slirp4netns", errno);
  return moved;
}

// Waits up to `timeout` for `pid` to exit; its wait status, or nullopt if it still runs.
std::optional<int> WaitExit(pid_t pid, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return 0;  // not our child any more: nothing left to wait for
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void KillAndReap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

// What the forked child needs, all prepared before the fork: after it, only async-signal-safe
// calls are allowed (the build process has other threads, whose locks may be held).
struct ChildSetup {
  const char* binary;
  char* const* argv;
  int stdin_fd;
  int output_fd;
  int ready_fd;
  int exit_fd;
};

void WriteMessage(const char* text) {
  if (::write(2, text, std::strlen(text)) < 0) {
    // Nowhere else to report it; the exit status and the missing ready byte still tell.
  }
}

[[noreturn]] void ExecSlirp4netns(const ChildSetup& s) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the exec'd program inherits the mask
  if (::dup2(s.stdin_fd, 0) < 0 || ::dup2(s.output_fd, 1) < 0 || ::dup2(s.output_fd, 2) < 0) {
    ::_exit(127);
  }
  // Nothing else the build process holds reaches slirp4netns, even a descriptor some library
  // opened without O_CLOEXEC; the two it is told about stay open.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (::fcntl(s.ready_fd, F_SETFD, 0) != 0 || ::fcntl(s.exit_fd, F_SETFD, 0) != 0) {
    WriteMessage("buildtool: cannot pass the ready and exit fds to slirp4netns\n");
    ::_exit(127);
  }
  // slirp4netns --enable-sandbox (1.2.0, sandbox.c create_sandbox) makes only "/" private,
  // not the mounts below it, then mounts a tmpfs on /tmp and unmounts the old root with
  // MNT_DETACH: in a namespace whose mounts are shared with the host that unmount
  // propagates, and removes the host's mounts under shared parents (`ip netns` files among
  // them). A namespace of its own with every mount private confines all of that.
  if (::unshare(CLONE_NEWNS) != 0) {
    WriteMessage("buildtool: cannot make a mount namespace for slirp4netns (unshare)\n");
    ::_exit(127);
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    WriteMessage("buildtool: cannot make the mounts of slirp4netns private\n");
    ::_exit(127);
  }
  ::execv(s.binary, s.argv);
  WriteMessage("buildtool: cannot execute slirp4netns\n");
  ::_exit(127);
}

}  // namespace

SandboxNetwork::SandboxNetwork(SandboxNetwork&& other) noexcept
    : path_(std::exchange(other.path_, std::string())),
      mounted_(std::exchange(other.mounted_, false)),
      pid_(std::exchange(other.pid_, -1)),
      exit_fd_(std::move(other.exit_fd_)),
      output_(std::move(other.output_)),
      stop_timeout_(other.stop_timeout_) {}

SandboxNetwork& SandboxNetwork::operator=(SandboxNetwork&& other) noexcept {
  if (this != &other) {
    (void)Stop();
    path_ = std::exchange(other.path_, std::string());
    mounted_ = std::exchange(other.mounted_, false);
    pid_ = std::exchange(other.pid_, -1);
    exit_fd_ = std::move(other.exit_fd_);
    output_ = std::move(other.output_);
    stop_timeout_ = other.stop_timeout_;
  }
  return *this;
}

SandboxNetwork::~SandboxNetwork() { (void)Stop(); }

Result<void> SandboxNetwork::Stop() {
  std::optional<Error> first;
  if (pid_ > 0) {
    exit_fd_.Reset();  // slirp4netns polls its exit fd and ends on the hang-up
    if (!WaitExit(pid_, stop_timeout_)) KillAndReap(pid_);
    pid_ = -1;
  }
  exit_fd_.Reset();
  if (mounted_) {
    // EINVAL: no longer a mount point (someone else unmounted it); nothing left to do.
    if (::umount2(path_.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      first = ErrnoError("unmount the sandbox network namespace", path_, errno);
    }
    mounted_ = false;
  }
  if (!path_.empty()) {
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT && !first) {
      first = ErrnoError("remove the sandbox network namespace file", path_, errno);
    }
    path_.clear();
  }
  output_.Reset();
  if (first) return std::move(*first);
  return {};
}

std::string SandboxNetwork::Output() const {
  if (!output_.valid()) return "";
  struct stat st;
  if (::fstat(output_.get(), &st) != 0 || st.st_size <= 0) return "";
  const off_t start = st.st_size > static_cast<off_t>(kOutputShown)
                          ? st.st_size - static_cast<off_t>(kOutputShown)
                          : 0;
  std::string text(static_cast<std::size_t>(st.st_size - start), '\0');
  const ssize_t n = ::pread(output_.get(), text.data(), text.size(), start);
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

Result<SandboxNetwork> SandboxNetwork::Create(const std::string& scratch_dir,
                                              const SandboxNetworkOptions& options) {
  const std::string binary = FindExecutable(options.slirp4netns);
  if (binary.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "start the sandbox network: " + options.slirp4netns +
                         " not found: the sandbox network needs slirp4netns (apt-get install "
                         "slirp4netns), or build with --network=none");
  }
  SandboxNetwork net;  // from here on, every return cleans up what exists so far
  net.stop_timeout_ = options.stop_timeout;

  // The namespace file: an empty regular file to bind the nsfs file onto.
  std::string name = scratch_dir + "/netns-XXXXXX";
  const UniqueFd file(::mkostemp(name.data(), O_CLOEXEC));
  if (!file.valid()) return ErrnoError("create the namespace file", name, errno);
  net.path_ = name;

  // unshare(CLONE_NEWNET) moves only the calling thread, so a thread of our own makes the
  // namespace and binds it (threads share the mount namespace the runtime will see), then
  // ends: the build's threads keep their network namespace.
  int err = 0;
  const char* failed = nullptr;
  std::thread maker([&net, &err, &failed] {
    if (::unshare(CLONE_NEWNET) != 0) {
      err = errno;
      failed = "unshare a network namespace for";
      return;
    }
    if (::mount("/proc/thread-self/ns/net", net.path_.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      err = errno;
      failed = "bind the new network namespace onto";
    }
  });
  maker.join();
  if (failed != nullptr) return ErrnoError(failed, net.path_, err);
  net.mounted_ = true;

  net.output_.Reset(::memfd_create("slirp4netns-output", MFD_CLOEXEC));
  if (!net.output_.valid()) return ErrnoError("memfd_create", "slirp4netns output", errno);
  const UniqueFd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!dev_null.valid()) return ErrnoError("open", "/dev/null", errno);
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return ErrnoError("pipe2", "slirp4netns ready fd", errno);
  const UniqueFd ready_read(ready[0]);
  BT_ASSIGN_OR_RETURN(UniqueFd ready_write, AboveStdio(UniqueFd(ready[1])));
  int exit_pipe[2];
  if (::pipe2(exit_pipe, O_CLOEXEC) != 0) {
    return ErrnoError("pipe2", "slirp4netns exit fd", errno);
  }
  BT_ASSIGN_OR_RETURN(UniqueFd exit_read, AboveStdio(UniqueFd(exit_pipe[0])));
  net.exit_fd_.Reset(exit_pipe[1]);

  // --enable-sandbox: slirp4netns runs in its own mount namespace with / read-only and only
  // CAP_NET_BIND_SERVICE left; --enable-seccomp: exec, mount, setns, ptrace and kin refused.
  // Both matter because slirp4netns parses every packet a RUN step sends.
  std::vector<std::string> args = {
      binary,
      "--configure",
      "--mtu=" + std::to_string(options.mtu),
      "--disable-host-loopback",
      "--enable-sandbox",
      "--enable-seccomp",
      "--ready-fd=" + std::to_string(ready_write.get()),
      "--exit-fd=" + std::to_string(exit_read.get()),
      "--netns-type=path",
      net.path_,
      "tap0",
  };
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const ChildSetup setup{binary.c_str(),    argv.data(),       dev_null.get(),
                         net.output_.get(), ready_write.get(), exit_read.get()};

  const pid_t pid = ::fork();
  if (pid < 0) return ErrnoError("fork", "slirp4netns", errno);
  if (pid == 0) ExecSlirp4netns(setup);
  net.pid_ = pid;
  // Only slirp4netns holds these now, so the ready pipe reads EOF once it is gone.
  ready_write.Reset();
  exit_read.Reset();

  const Clock::time_point deadline = Clock::now() + options.ready_timeout;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return MakeError(ErrorCode::kUnavailable,
                       "start the sandbox network: slirp4netns did not report ready within " +
                           std::to_string(options.ready_timeout.count()) + " ms: " + net.Output());
    }
    pollfd p = {ready_read.get(), POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoError("poll", "slirp4netns ready fd", errno);
    if (r == 0) continue;  // the deadline check above reports it
    char byte = 0;
    const ssize_t n = ::read(ready_read.get(), &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n == 1) return net;
    // EOF: slirp4netns ended without reporting ready.
    std::string how = "ended";
    if (const std::optional<int> status = WaitExit(net.pid_, options.stop_timeout)) {
      how = "ended (" + DescribeStatus(*status) + ")";
      net.pid_ = -1;
    }
    return MakeError(ErrorCode::kUnavailable, "start the sandbox network: slirp4netns " + how +
                                                  " before the network was ready: " + net.Output());
  }
}

}  // namespace bt::executor
