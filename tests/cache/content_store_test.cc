// ContentStore: ingest and read back, verification before commit, resume of a partial
// ingest, two processes racing on one blob, damage found by Verify, hostile names, ENOSPC.
#include "cache/content_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/temp_dir.h"
#include "base/unique_fd.h"

namespace bt::cache {
namespace {

using oci::Digest;

std::string ReadFd(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return {"<missing>"};
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  return names;
}

// A blob large enough to take several writes, different for each `seed`.
std::string Payload(int seed, std::size_t size) {
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 131 + seed * 7) % 251);
  return data;
}

struct Fixture {
  TempDir root = std::move(TempDir::Create("", "bt-content-").value());
  ContentStore store = std::move(ContentStore::Open(root.path()).value());
  std::string blobs() const { return root.path() + "/blobs/sha256"; }
  std::string ingests() const { return root.path() + "/blobs/ingest"; }
};

TEST_CASE("an ingested blob reads back under its digest, read-only and complete",
          "[cache][content_store]") {
  Fixture f;
  const std::string data = "hello world";
  const Digest want = Digest::Of(data);
  Result<IngestWriter> w = f.store.BeginIngest(want.ToString());
  REQUIRE(w.has_value());
  CHECK(w->offset() == 0);
  REQUIRE(w->Write("hello ").has_value());
  REQUIRE(w->Write("world").has_value());
  CHECK(w->offset() == data.size());
  CHECK_FALSE(f.store.Contains(want));
  Result<Digest> got = w->Commit(data.size(), want);
  REQUIRE(got.has_value());
  CHECK(*got == want);

  CHECK(f.store.Contains(want));
  Result<std::uint64_t> size = f.store.Size(want);
  REQUIRE(size.has_value());
  CHECK(*size == data.size());
  Result<UniqueFd> fd = f.store.Open(want);
  REQUIRE(fd.has_value());
  CHECK(ReadFd(fd->get()) == data);
  struct stat st;
  REQUIRE(::stat(f.store.BlobPath(want).c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0444);
  CHECK(f.store.BlobPath(want) == f.blobs() + "/" + want.hex());
  CHECK(List(f.ingests()).empty());
  CHECK(f.store.Verify(want).has_value());
  Result<std::vector<Digest>> all = f.store.Walk();
  REQUIRE(all.has_value());
  CHECK(*all == std::vector<Digest>{want});

  SECTION("the finished writer refuses more work") {
    Result<void> write = w->Write("x");
    REQUIRE_FALSE(write.has_value());
    CHECK(write.error().code == ErrorCode::kFailedPrecondition);
    Result<Digest> again = w->Commit(std::nullopt, std::nullopt);
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == ErrorCode::kFailedPrecondition);
  }
  SECTION("a deleted blob is gone and a second delete is not found") {
    REQUIRE(f.store.Delete(want).has_value());
    CHECK_FALSE(f.store.Contains(want));
    Result<void> again = f.store.Delete(want);
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == ErrorCode::kNotFound);
    Result<UniqueFd> open = f.store.Open(want);
    REQUIRE_FALSE(open.has_value());
    CHECK(open.error().code == ErrorCode::kNotFound);
    CHECK(f.store.Size(want).error().code == ErrorCode::kNotFound);
    CHECK(f.store.Verify(want).error().code == ErrorCode::kNotFound);
  }
}

TEST_CASE("a blob whose bytes do not match the expected digest is never committed",
          "[cache][content_store]") {
  Fixture f;
  const Digest world = Digest::Of("world");
  Result<IngestWriter> w = f.store.BeginIngest(world.ToString());
  REQUIRE(w.has_value());
  REQUIRE(w->Write("hello").has_value());
  Result<Digest> committed = w->Commit(5, world);
  REQUIRE_FALSE(committed.has_value());
  CHECK(committed.error().code == ErrorCode::kDataLoss);
  CHECK_FALSE(f.store.Contains(world));
  CHECK_FALSE(f.store.Contains(Digest::Of("hello")));
  CHECK(List(f.blobs()).empty());
  CHECK(List(f.ingests()).empty());
  // The partial data was discarded: the next attempt starts from zero.
  Result<IngestWriter> again = f.store.BeginIngest(world.ToString());
  REQUIRE(again.has_value());
  CHECK(again->offset() == 0);
}

TEST_CASE("a blob of the wrong size is never committed", "[cache][content_store]") {
  Fixture f;
  const Digest hello = Digest::Of("hello");
  Result<IngestWriter> w = f.store.BeginIngest("size-check");
  REQUIRE(w.has_value());
  REQUIRE(w->Write("hello").has_value());
  Result<Digest> committed = w->Commit(6, hello);
  REQUIRE_FALSE(committed.has_value());
  CHECK(committed.error().code == ErrorCode::kDataLoss);
  CHECK(List(f.blobs()).empty());
  CHECK(List(f.ingests()).empty());
}

TEST_CASE("an interrupted ingest resumes from its partial data", "[cache][content_store]") {
  Fixture f;
  const std::string data = Payload(1, 3 * 1024 * 1024 + 17);
  const Digest want = Digest::Of(data);
  const std::size_t half = data.size() / 2;
  {
    Result<IngestWriter> w = f.store.BeginIngest(want.ToString());
    REQUIRE(w.has_value());
    REQUIRE(w->Write(std::string_view(data).substr(0, half)).has_value());
  }  // dropped without Commit, as a killed download would be
  CHECK(List(f.ingests()).size() == 1);
  CHECK_FALSE(f.store.Contains(want));

  Result<IngestWriter> w = f.store.BeginIngest(want.ToString());
  REQUIRE(w.has_value());
  CHECK(w->offset() == half);
  REQUIRE(w->Write(std::string_view(data).substr(half)).has_value());
  Result<Digest> got = w->Commit(data.size(), want);
  REQUIRE(got.has_value());
  CHECK(f.store.Verify(want).has_value());
  CHECK(List(f.ingests()).empty());

  SECTION("an aborted ingest starts over") {
    Result<IngestWriter> a = f.store.BeginIngest("to-abort");
    REQUIRE(a.has_value());
    REQUIRE(a->Write("partial").has_value());
    REQUIRE(a->Abort().has_value());
    CHECK(List(f.ingests()).empty());
    Result<IngestWriter> b = f.store.BeginIngest("to-abort");
    REQUIRE(b.has_value());
    CHECK(b->offset() == 0);
  }
}

TEST_CASE("a resumed ingest whose partial data was damaged fails at commit",
          "[cache][content_store]") {
  Fixture f;
  const std::string data = "0123456789abcdef";
  const Digest want = Digest::Of(data);
  {
    Result<IngestWriter> w = f.store.BeginIngest("damaged");
    REQUIRE(w.has_value());
    REQUIRE(w->Write(data.substr(0, 8)).has_value());
  }
  // A power loss can leave zeros where data was acknowledged; resume must not trust it.
  const std::vector<std::string> keys = List(f.ingests());
  REQUIRE(keys.size() == 1);
  {
    UniqueFd fd(::open((f.ingests() + "/" + keys[0] + "/data").c_str(), O_WRONLY | O_CLOEXEC));
    REQUIRE(fd.valid());
    REQUIRE(::pwrite(fd.get(), "\0", 1, 3) == 1);
  }
  Result<IngestWriter> w = f.store.BeginIngest("damaged");
  REQUIRE(w.has_value());
  CHECK(w->offset() == 8);
  REQUIRE(w->Write(data.substr(8)).has_value());
  Result<Digest> got = w->Commit(data.size(), want);
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().code == ErrorCode::kDataLoss);
  CHECK(List(f.blobs()).empty());
}

TEST_CASE("a second writer of the same ref waits for the first", "[cache][content_store]") {
  Fixture f;
  Result<IngestWriter> w = f.store.BeginIngest("busy-ref");
  REQUIRE(w.has_value());
  const std::vector<std::string> keys = List(f.ingests());
  REQUIRE(keys.size() == 1);
  const std::string lock = f.ingests() + "/" + keys[0] + "/lock";
  Result<std::optional<FileLock>> probe = FileLock::TryAcquire(lock, LockMode::kExclusive);
  REQUIRE(probe.has_value());
  CHECK_FALSE(probe->has_value());
}

TEST_CASE("an existing blob is kept and a second ingest of it succeeds", "[cache][content_store]") {
  Fixture f;
  const std::string data = "same bytes";
  const Digest want = Digest::Of(data);
  for (int i = 0; i < 2; ++i) {
    Result<IngestWriter> w = f.store.BeginIngest("writer-" + std::to_string(i));
    REQUIRE(w.has_value());
    REQUIRE(w->Write(data).has_value());
    REQUIRE(w->Commit(std::nullopt, want).has_value());
  }
  struct stat first;
  REQUIRE(::stat(f.store.BlobPath(want).c_str(), &first) == 0);
  Result<IngestWriter> w = f.store.BeginIngest("writer-3");
  REQUIRE(w.has_value());
  REQUIRE(w->Write(data).has_value());
  REQUIRE(w->Commit(std::nullopt, std::nullopt).has_value());
  struct stat after;
  REQUIRE(::stat(f.store.BlobPath(want).c_str(), &after) == 0);
  CHECK(after.st_ino == first.st_ino);
  CHECK(List(f.blobs()).size() == 1);
  CHECK(List(f.ingests()).empty());
}

// Forks a child that ingests `data` under `ref` and exits 0 when Commit succeeded.
pid_t IngestInChild(const std::string& root, const std::string& ref, const std::string& data) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid != 0) return pid;
  Result<ContentStore> store = ContentStore::Open(root);
  if (!store.has_value()) ::_exit(2);
  Result<IngestWriter> w = store->BeginIngest(ref);
  if (!w.has_value()) ::_exit(3);
  // Normally 0; a writer of the same ref that was killed earlier would leave bytes to resume.
  std::string_view rest = std::string_view(data).substr(w->offset());
  while (!rest.empty()) {
    const std::size_t n = std::min<std::size_t>(rest.size(), 64 * 1024);
    if (!w->Write(rest.substr(0, n)).has_value()) ::_exit(4);
    rest.remove_prefix(n);
  }
  if (!w->Commit(data.size(), Digest::Of(data)).has_value()) ::_exit(5);
  ::_exit(0);
}

TEST_CASE("two processes ingesting the same blob at once both succeed with one intact blob",
          "[cache][content_store]") {
  Fixture f;
  const bool same_ref = GENERATE(true, false);
  for (int round = 0; round < 50; ++round) {
    const std::string data = Payload(round, 512 * 1024 + static_cast<std::size_t>(round));
    const Digest want = Digest::Of(data);
    const std::string ref_a = same_ref ? want.ToString() : "a-" + std::to_string(round);
    const std::string ref_b = same_ref ? want.ToString() : "b-" + std::to_string(round);
    const pid_t a = IngestInChild(f.root.path(), ref_a, data);
    const pid_t b = IngestInChild(f.root.path(), ref_b, data);
    int status_a = 0, status_b = 0;
    REQUIRE(::waitpid(a, &status_a, 0) == a);
    REQUIRE(::waitpid(b, &status_b, 0) == b);
    INFO("round " << round << " same_ref " << same_ref);
    CHECK(WIFEXITED(status_a));
    CHECK(WEXITSTATUS(status_a) == 0);
    CHECK(WIFEXITED(status_b));
    CHECK(WEXITSTATUS(status_b) == 0);
    CHECK(f.store.Verify(want).has_value());
    CHECK(List(f.blobs()) == std::vector<std::string>{want.hex()});
    CHECK(List(f.ingests()).empty());
    REQUIRE(f.store.Delete(want).has_value());
  }
}

TEST_CASE("a blob altered on disk is caught by verify", "[cache][content_store]") {
  Fixture f;
  const std::string data = Payload(9, 4096);
  const Digest want = Digest::Of(data);
  Result<IngestWriter> w = f.store.BeginIngest("alter");
  REQUIRE(w.has_value());
  REQUIRE(w->Write(data).has_value());
  REQUIRE(w->Commit(data.size(), want).has_value());
  const std::string path = f.store.BlobPath(want);
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    REQUIRE(fd.valid());
    REQUIRE(::pwrite(fd.get(), "!", 1, 100) == 1);
  }
  Result<void> verified = f.store.Verify(want);
  REQUIRE_FALSE(verified.has_value());
  CHECK(verified.error().code == ErrorCode::kDataLoss);
  CHECK(f.store.Contains(want));  // Contains is about presence, not integrity
}

TEST_CASE("hostile digests and stray names never become blobs", "[cache][content_store]") {
  Fixture f;
  for (const char* text :
       {"sha256:../../etc", "sha256:../../../../etc/passwd", "sha256:/etc/shadow", "sha512:abcd",
        "", "sha256:", "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"}) {
    Result<Digest> parsed = Digest::Parse(text);
    INFO(text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
  }
  // Strays in blobs/sha256: a temp file, a non-digest name, and a symlink named like a
  // digest that points outside the store.
  const Digest fake = Digest::Of("not stored");
  { UniqueFd fd(::open((f.blobs() + "/.tmp-123").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600)); }
  { UniqueFd fd(::open((f.blobs() + "/README").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600)); }
  REQUIRE(::symlink("/etc/passwd", (f.blobs() + "/" + fake.hex()).c_str()) == 0);
  Result<std::vector<Digest>> all = f.store.Walk();
  REQUIRE(all.has_value());
  CHECK(all->empty());
  CHECK_FALSE(f.store.Contains(fake));
  Result<UniqueFd> open = f.store.Open(fake);
  REQUIRE_FALSE(open.has_value());  // O_NOFOLLOW: the link is never read through
  CHECK(f.store.Size(fake).error().code == ErrorCode::kDataLoss);

  SECTION("any ref text is a safe ingest name") {
    Result<IngestWriter> w = f.store.BeginIngest("../../../etc/evil");
    REQUIRE(w.has_value());
    const std::vector<std::string> keys = List(f.ingests());
    REQUIRE(keys.size() == 1);
    CHECK(keys[0] == Digest::Of("../../../etc/evil").hex());
    Result<IngestWriter> empty = f.store.BeginIngest("");
    REQUIRE_FALSE(empty.has_value());
    CHECK(empty.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("a full disk fails the write with enospc and commits nothing",
          "[cache][content_store][root]") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root to mount a small tmpfs");
    return;
  }
  Result<TempDir> mnt = TempDir::Create("", "bt-enospc-");
  REQUIRE(mnt.has_value());
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Exit codes: 77 = cannot set up the fixture (skip), 0 = pass, others = which check failed.
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(77);
    if (::mount(nullptr, "/", nullptr, MS_PRIVATE | MS_REC, nullptr) != 0) ::_exit(77);
    if (::mount("tmpfs", mnt->path().c_str(), "tmpfs", 0, "size=256k") != 0) ::_exit(77);
    Result<ContentStore> store = ContentStore::Open(mnt->path());
    if (!store.has_value()) ::_exit(2);
    Result<IngestWriter> w = store->BeginIngest("big");
    if (!w.has_value()) ::_exit(3);
    Result<void> write = w->Write(Payload(3, 1024 * 1024));
    if (write.has_value()) ::_exit(4);
    if (write.error().code != ErrorCode::kIo || write.error().sys_errno != ENOSPC) ::_exit(5);
    Result<std::vector<Digest>> all = store->Walk();
    if (!all.has_value() || !all->empty()) ::_exit(6);
    // Freeing the space lets the store work again.
    if (!w->Abort().has_value()) ::_exit(7);
    Result<IngestWriter> small = store->BeginIngest("small");
    if (!small.has_value() || !small->Write("fits").has_value()) ::_exit(8);
    if (!small->Commit(4, Digest::Of("fits")).has_value()) ::_exit(9);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) {
    WARN("skipped: cannot create a mount namespace with a tmpfs here");
    return;
  }
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace bt::cache
