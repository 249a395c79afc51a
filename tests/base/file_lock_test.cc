// FileLock: exclusion between processes (fork), shared versus exclusive modes, release when
// the holder exits or is killed, and retry when the lock file is unlinked by its holder.
#include "base/file_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "base/temp_dir.h"
#include "base/unique_fd.h"

namespace bt {
namespace {

// Exit codes of a child that probes a lock.
constexpr int kGotLock = 10;
constexpr int kBusy = 11;
constexpr int kFailed = 12;

// Forks a child that tries the lock once and reports through its exit status.
int ProbeInChild(const std::string& path, LockMode mode) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    Result<std::optional<FileLock>> lock = FileLock::TryAcquire(path, mode);
    ::_exit(!lock.has_value() ? kFailed : (lock->has_value() ? kGotLock : kBusy));
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

// Forks a child that takes the lock, tells the parent through a pipe, then waits to be
// killed or exits after a short delay, as `end` says.
enum class ChildEnd { kWaitForKill, kExitAfterDelay };
pid_t HoldInChild(const std::string& path, ChildEnd end) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    read_end.Reset();
    Result<FileLock> lock = FileLock::Acquire(path, LockMode::kExclusive);
    if (!lock.has_value()) ::_exit(kFailed);
    (void)::write(write_end.get(), "L", 1);
    if (end == ChildEnd::kExitAfterDelay) {
      ::usleep(200 * 1000);
      ::_exit(0);  // no destructors run: the kernel releases the lock
    }
    for (;;) ::pause();
  }
  write_end.Reset();
  char c = 0;
  REQUIRE(::read(read_end.get(), &c, 1) == 1);
  return pid;
}

TEST_CASE("another process cannot take an exclusive lock while it is held", "[base][file_lock]") {
  Result<TempDir> dir = TempDir::Create("", "bt-lock-");
  REQUIRE(dir.has_value());
  const std::string path = dir->path() + "/ingest.lock";
  {
    Result<FileLock> lock = FileLock::Acquire(path, LockMode::kExclusive);
    REQUIRE(lock.has_value());
    CHECK(ProbeInChild(path, LockMode::kExclusive) == kBusy);
    CHECK(ProbeInChild(path, LockMode::kShared) == kBusy);
  }
  CHECK(ProbeInChild(path, LockMode::kExclusive) == kGotLock);
}

TEST_CASE("shared locks coexist and keep an exclusive one out", "[base][file_lock]") {
  Result<TempDir> dir = TempDir::Create("", "bt-lock-");
  REQUIRE(dir.has_value());
  const std::string path = dir->path() + "/lease.lock";
  Result<FileLock> lock = FileLock::Acquire(path, LockMode::kShared);
  REQUIRE(lock.has_value());
  CHECK(lock->mode() == LockMode::kShared);
  CHECK(ProbeInChild(path, LockMode::kShared) == kGotLock);
  CHECK(ProbeInChild(path, LockMode::kExclusive) == kBusy);
}

TEST_CASE("two locks on one path conflict inside a single process", "[base][file_lock]") {
  Result<TempDir> dir = TempDir::Create("", "bt-lock-");
  REQUIRE(dir.has_value());
  const std::string path = dir->path() + "/x.lock";
  Result<FileLock> first = FileLock::Acquire(path, LockMode::kExclusive);
  REQUIRE(first.has_value());
  Result<std::optional<FileLock>> second = FileLock::TryAcquire(path, LockMode::kExclusive);
  REQUIRE(second.has_value());
  CHECK_FALSE(second->has_value());
}

TEST_CASE("a lock is released when its holder is killed with sigkill", "[base][file_lock]") {
  Result<TempDir> dir = TempDir::Create("", "bt-lock-");
  REQUIRE(dir.has_value());
  const std::string path = dir->path() + "/lease.lock";
  const pid_t holder = HoldInChild(path, ChildEnd::kWaitForKill);
  CHECK(ProbeInChild(path, LockMode::kExclusive) == kBusy);
  Result<std::optional<FileLock>> busy = FileLock::TryAcquire(path, LockMode::kExclusive);
  REQUIRE(busy.has_value());
  CHECK_FALSE(busy->has_value());
  REQUIRE(::kill(holder, SIGKILL) == 0);
  int status = 0;
  REQUIRE(::waitpid(holder, &status, 0) == holder);
  CHECK(WIFSIGNALED(status));
  Result<std::optional<FileLock>> got = FileLock::TryAcquire(path, LockMode::kExclusive);
  REQUIRE(got.has_value());
  CHECK(got->has_value());
}

TEST_CASE("a blocking acquire returns once the holder exits", "[base][file_lock]") {
  Result<TempDir> dir = TempDir::Create("", "bt-lock-");
  REQUIRE(dir.has_value());
  const std::string path = dir->path() + "/commit.lock";
  const pid_t holder = HoldInChild(path, ChildEnd::kExitAfterDelay);
  const auto start = std::chrono::steady_clock::now();
  Result<FileLock> lock = FileLock::Acquire(path, LockMode::kExclusive);
  REQUIRE(lock.has_value());
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(50));
  int status = 0;
  REQUIRE(::waitpid(holder, &status, 0) == holder);
  CHECK(WIFEXITED(status));
}

TEST_CASE("a waiter retries on a fresh file when the holder unlinked the lock file",
          "[base][file_lock]") {
  Result<TempDir> dir = TempDir::Create("", "bt-lock-");
  REQUIRE(dir.has_value());
  const std::string path = dir->path() + "/ref.lock";
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    Result<FileLock> lock = FileLock::Acquire(path, LockMode::kExclusive);
    if (!lock.has_value()) ::_exit(kFailed);
    ::usleep(200 * 1000);
    ::unlink(path.c_str());  // the guarded thing is gone; the lock file goes with it
    ::_exit(0);
  }
  ::usleep(50 * 1000);  // let the child take the lock first (either order passes)
  Result<FileLock> lock = FileLock::Acquire(path, LockMode::kExclusive);
  REQUIRE(lock.has_value());
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // The lock we hold is on the file the path names now, so it still excludes others.
  CHECK(ProbeInChild(path, LockMode::kExclusive) == kBusy);
}

TEST_CASE("a lock file in a missing directory is an io error", "[base][file_lock]") {
  Result<FileLock> lock =
      FileLock::Acquire("/tmp/bt-missing-dir-for-lock/x.lock", LockMode::kExclusive);
  REQUIRE_FALSE(lock.has_value());
  CHECK(lock.error().code == ErrorCode::kIo);
  CHECK(lock.error().sys_errno == ENOENT);
}

}  // namespace
}  // namespace bt
