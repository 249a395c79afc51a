// AtomicFile: the target holds the old or the new content, never a partial one, and an
// uncommitted temp file disappears with its object.
#include "base/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/temp_dir.h"
#include "base/unique_fd.h"

namespace bt {
namespace {

std::string ReadAll(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "<missing>";
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  return names;
}

TEST_CASE("a committed atomic file replaces the target with the new content",
          "[base][atomic_file]") {
  Result<TempDir> dir = TempDir::Create("", "bt-atomic-");
  REQUIRE(dir.has_value());
  const std::string target = dir->path() + "/index.json";
  {
    UniqueFd old(::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    REQUIRE(::write(old.get(), "old", 3) == 3);
  }
  Result<AtomicFile> file = AtomicFile::Create(target, 0640);
  REQUIRE(file.has_value());
  REQUIRE(file->Write("new ").has_value());
  REQUIRE(file->Write("content").has_value());
  CHECK(ReadAll(target) == "old");  // nothing visible before Commit
  REQUIRE(file->Commit().has_value());
  CHECK(ReadAll(target) == "new content");
  struct stat st;
  REQUIRE(::stat(target.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);
  CHECK(List(dir->path()) == std::vector<std::string>{"index.json"});

  SECTION("writing or committing again is a precondition failure") {
    Result<void> write = file->Write("more");
    REQUIRE_FALSE(write.has_value());
    CHECK(write.error().code == ErrorCode::kFailedPrecondition);
    Result<void> commit = file->Commit();
    REQUIRE_FALSE(commit.has_value());
    CHECK(commit.error().code == ErrorCode::kFailedPrecondition);
    CHECK(ReadAll(target) == "new content");
  }
}

TEST_CASE("an atomic file dropped without commit leaves the target and no temp file",
          "[base][atomic_file]") {
  Result<TempDir> dir = TempDir::Create("", "bt-atomic-");
  REQUIRE(dir.has_value());
  const std::string target = dir->path() + "/tag";
  SECTION("over an existing target") {
    {
      UniqueFd old(::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
      REQUIRE(::write(old.get(), "old", 3) == 3);
    }
    {
      Result<AtomicFile> file = AtomicFile::Create(target, 0644);
      REQUIRE(file.has_value());
      REQUIRE(file->Write("half").has_value());
      CHECK(List(dir->path()).size() == 2);
    }
    CHECK(ReadAll(target) == "old");
    CHECK(List(dir->path()) == std::vector<std::string>{"tag"});
  }
  SECTION("with no target yet") {
    {
      Result<AtomicFile> file = AtomicFile::Create(target, 0644);
      REQUIRE(file.has_value());
      REQUIRE(file->Write("half").has_value());
    }
    CHECK(List(dir->path()).empty());
  }
}

TEST_CASE("an atomic file in a missing directory is an io error", "[base][atomic_file]") {
  Result<AtomicFile> file = AtomicFile::Create("/tmp/bt-missing-dir-for-atomic/x", 0644);
  REQUIRE_FALSE(file.has_value());
  CHECK(file.error().code == ErrorCode::kIo);
  CHECK(file.error().sys_errno == ENOENT);
}

TEST_CASE("a moved atomic file commits once and its source cleans up nothing",
          "[base][atomic_file]") {
  Result<TempDir> dir = TempDir::Create("", "bt-atomic-");
  REQUIRE(dir.has_value());
  const std::string target = dir->path() + "/moved";
  Result<AtomicFile> file = AtomicFile::Create(target, 0600);
  REQUIRE(file.has_value());
  AtomicFile owner = std::move(*file);
  REQUIRE(owner.Write("payload").has_value());
  REQUIRE(owner.Commit().has_value());
  CHECK(ReadAll(target) == "payload");
}

}  // namespace
}  // namespace bt
