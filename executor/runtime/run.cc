#include "executor/runtime/run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <vector>

#include "base/unique_fd.h"
#include "executor/runtime/cgroups.h"
#include "executor/runtime/child_failure.h"
#include "executor/runtime/container_child.h"
#include "executor/runtime/init.h"
#include "executor/runtime/namespaces.h"
#include "executor/runtime/plan.h"
#include "executor/runtime/spec.h"
#include "executor/runtime/syscalls.h"

namespace bt::executor::runtime {
namespace {

// Holds the state-root lock of one container id: a second run with the same id fails
// instead of sharing its cgroup. flock dies with the process, so kill -9 leaves no stale
// lock behind (only an empty file, which the next run of that id reuses).
class IdLock {
 public:
  static Result<IdLock> Acquire(const std::string& state_root, const std::string& id) {
    if (::mkdir(state_root.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoError("create state directory", state_root, errno);
    }
    IdLock lock;
    lock.path_ = state_root + "/" + id + ".lock";
    while (true) {
      lock.fd_.Reset(::open(lock.path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
      if (!lock.fd_.valid()) return ErrnoError("open", lock.path_, errno);
      if (::flock(lock.fd_.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
          return MakeError(ErrorCode::kAlreadyExists,
                           "container \"" + id + "\" is already running");
        }
        return ErrnoError("lock", lock.path_, errno);
      }
      // The previous holder unlinks the file when it ends: a lock on the unlinked inode
      // would not exclude the next run, so lock again on what the path names now.
      struct stat held;
      struct stat named;
      if (::fstat(lock.fd_.get(), &held) == 0 && ::stat(lock.path_.c_str(), &named) == 0 &&
          held.st_ino == named.st_ino && held.st_dev == named.st_dev) {
        return lock;
      }
    }
  }
  IdLock() = default;
  IdLock(IdLock&&) = default;
  IdLock& operator=(IdLock&&) = default;
  ~IdLock() {
    if (fd_.valid()) ::unlink(path_.c_str());  // while still locked: see Acquire
  }

 private:
  std::string path_;
  UniqueFd fd_;
};

// Blocks `set` for sigwaitinfo and restores the mask and dispositions when the run ends.
// A signal the caller ignores (a shell starts background jobs with SIGINT ignored) is
// discarded even while blocked, so the dispositions are reset to the default first: the
// runtime forwards what it is sent, whatever its parent ignores.
class BlockedSignals {
 public:
  explicit BlockedSignals(const sigset_t& set) : set_(set) {
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sigismember(&set_, sig) == 1) ::sigaction(sig, &dfl, &old_actions_[sig]);
    }
    ::sigprocmask(SIG_BLOCK, &set_, &old_mask_);
  }
  ~BlockedSignals() {
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sigismember(&set_, sig) == 1) ::sigaction(sig, &old_actions_[sig], nullptr);
    }
    ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;

 private:
  sigset_t set_;
  sigset_t old_mask_;
  struct sigaction old_actions_[NSIG] = {};
};

// The cloned container child until it has been waited for: killed and reaped unless the
// run waited for it (STYLE.md 2.5 ChildProcess).
class ContainerInit {
 public:
  explicit ContainerInit(pid_t pid) : pid_(pid) {}
  ContainerInit(const ContainerInit&) = delete;
  ContainerInit& operator=(const ContainerInit&) = delete;
  ~ContainerInit() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  pid_t pid() const { return pid_; }
  // Forwards signals until the init exits; returns its wait status.
  int Wait(const sigset_t& forwarded) {
    sigset_t waited = forwarded;
    sigaddset(&waited, SIGCHLD);
    while (true) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return status;
      }
      siginfo_t info;
      const int sig = ::sigwaitinfo(&waited, &info);
      if (sig > 0 && sig != SIGCHLD) ::kill(pid_, sig);
    }
  }

 private:
  pid_t pid_;
};

Result<std::string> ReadConfig(const std::string& bundle) {
  const std::string path = bundle + "/config.json";
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open", path, errno);
  std::string text;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read", path, errno);
    if (n == 0) return text;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > (64u << 20)) {
      return MakeError(ErrorCode::kInvalidArgument, path + ": larger than 64 MiB");
    }
  }
}

Result<void> WriteText(const std::string& path, const std::string& text) {
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoError("open", path, errno);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return ErrnoError("write", path, errno);
  }
  return {};
}

// Everything the runtime does between clone and "go": id maps, cgroup, oom score, pid file.
Result<void> PrepareChild(pid_t pid, const ContainerPlan& plan, const ContainerCgroup& cgroup,
                          const RunOptions& options) {
  BT_TRY(WriteIdMaps(pid, plan.namespaces));
  BT_TRY(cgroup.Enter(pid));
  if (plan.oom_score_adj) {
    Result<void> written = WriteText("/proc/" + std::to_string(pid) + "/oom_score_adj",
                                     std::to_string(*plan.oom_score_adj));
    if (!written) return std::move(written).error().Wrap("process.oomScoreAdj");
  }
  if (!options.pid_file.empty()) BT_TRY(WriteText(options.pid_file, std::to_string(pid)));
  return {};
}

// Reads failure records until EOF (every copy of the child's end is closed: the init
// closed its own, the process's went at execve). Returns the first failure, if any.
std::optional<ChildFailure> CollectFailure(int fd) {
  std::optional<ChildFailure> first;
  while (true) {
    ChildFailure record;
    const ssize_t n = ::recv(fd, &record, sizeof record, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return first;
    if (n == static_cast<ssize_t>(sizeof record) && !first) first = record;
  }
}

Error FailureError(const ChildFailure& failure) {
  Error e = ToError(failure);
  if (failure.exec_failed) {
    e.code = failure.sys_errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kPermissionDenied;
  } else if (e.code == ErrorCode::kNotFound || e.code == ErrorCode::kPermissionDenied) {
    e.code = ErrorCode::kIo;
  }
  return e;
}

}  // namespace

int ExitCodeForError(const Error& error) {
  if (error.code == ErrorCode::kNotFound) return 127;
  if (error.code == ErrorCode::kPermissionDenied) return 126;
  return 125;
}

Result<int> RunContainer(const RunOptions& options) {
  BT_TRY(ValidateContainerId(options.id));
  char bundle[PATH_MAX];
  if (::realpath(options.bundle.c_str(), bundle) == nullptr) {
    return ErrnoError("resolve bundle", options.bundle, errno);
  }
  BT_ASSIGN_OR_RETURN(const std::string config, ReadConfig(bundle));
  BT_ASSIGN_OR_RETURN(const Spec spec, ParseSpec(config));
  BT_ASSIGN_OR_RETURN(IdLock lock, IdLock::Acquire(options.state_root, options.id));
  BT_ASSIGN_OR_RETURN(const CgroupLayout layout, ReadCgroupLayout());
  BT_ASSIGN_OR_RETURN(ContainerCgroup cgroup,
                      ContainerCgroup::Create(spec.linux, options.id, layout));

  PlanInputs inputs;
  inputs.bundle = bundle;
  inputs.id = options.id;
  inputs.cgroups = layout;
  for (const CgroupHierarchy& h : layout.v1) {
    const std::string dir = cgroup.DirectoryUnder(h.mount_point);
    if (!dir.empty()) inputs.container_cgroups.emplace_back(h.mount_point, dir);
  }
  inputs.runtime_is_root = ::geteuid() == 0;
  inputs.seccomp_cache_dir = options.state_root;
  BT_ASSIGN_OR_RETURN(ContainerPlan plan, MakePlan(spec, inputs));
  plan.new_session_keyring = options.new_session_keyring;

  // The child gets pointers into the plan; both stay put until it has exec'd.
  std::vector<char*> argv;
  for (const std::string& a : plan.process.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : plan.process.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  envp.push_back(nullptr);  // room for HOME (ProcessPlan::add_home)

  sigset_t forwarded;
  ForwardedSignals(&forwarded);
  sigset_t blocked = forwarded;
  sigaddset(&blocked, SIGCHLD);
  // Blocked before the clone: the child inherits the mask, so a signal that arrives during
  // set-up waits for the init's loop instead of killing a half-made container.
  const BlockedSignals block(blocked);

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return ErrnoError("socketpair", "sync", errno);
  }
  UniqueFd runtime_end(pair[0]);
  UniqueFd child_end(pair[1]);
  const long pid = sys::CloneLikeFork(plan.namespaces.clone_flags);
  if (pid < 0) return ErrnoError("clone", "the container's namespaces (linux.namespaces)", errno);
  if (pid == 0) {
    runtime_end.Reset();
    RunContainerChild(plan, argv.data(), envp.data(), child_end.get());
  }
  ContainerInit init(static_cast<pid_t>(pid));
  child_end.Reset();

  Result<void> prepared = PrepareChild(init.pid(), plan, cgroup, options);
  if (!prepared) return std::move(prepared).error();
  if (::send(runtime_end.get(), &kGoByte, 1, MSG_NOSIGNAL) != 1) {
    // The child is gone already; its failure record (if any) says why.
    if (const std::optional<ChildFailure> failure = CollectFailure(runtime_end.get())) {
      return FailureError(*failure);
    }
    return ErrnoError("start", "the container", errno);
  }
  const std::optional<ChildFailure> failure = CollectFailure(runtime_end.get());
  if (failure) return FailureError(*failure);  // ContainerInit kills and reaps the init
  const int status = init.Wait(forwarded);
  // A process that could not fork only says "can't fork"; the step's log should say why.
  if (const std::uint64_t hits = cgroup.PidsLimitHits(); hits > 0 && options.warn) {
    options.warn("pids limit reached: the container may have at most " +
                 std::to_string(spec.linux.resources && spec.linux.resources->pids_limit
                                    ? *spec.linux.resources->pids_limit
                                    : 0) +
                 " tasks (linux.resources.pids.limit), and " + std::to_string(hits) +
                 " fork(s) failed on it");
  }
  // The pid namespace is gone with the init; its cgroup can go too.
  const Result<void> removed = cgroup.Remove();
  if (!removed && options.warn) options.warn(removed.error().message);
  return ExitStatusOf(status);
}

}  // namespace bt::executor::runtime
