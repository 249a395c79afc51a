#include "cache/content_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "base/atomic_file.h"

namespace bt::cache {
namespace {

constexpr std::size_t kMaxRefSize = 4096;
constexpr std::size_t kReadChunk = 1 << 20;
// A committer removes an ingest directory between our mkdir and our lock open at most once
// per commit; this many retries in a row means something else keeps deleting it.
constexpr int kMaxLockAttempts = 100;

Result<void> MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoError("mkdir", path, errno);
  return {};
}

Result<void> FsyncDir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open directory", path, errno);
  if (::fsync(fd.get()) != 0) return ErrnoError("fsync directory", path, errno);
  return {};
}

// Feeds every byte of `fd` from offset 0 to `hasher`; returns how many there were.
Result<std::uint64_t> HashAll(int fd, oci::Sha256Hasher& hasher, const std::string& shown) {
  std::vector<char> buf(kReadChunk);
  std::uint64_t total = 0;
  for (;;) {
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(total));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read", shown, errno);
    }
    if (n == 0) return total;
    hasher.Update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    total += static_cast<std::uint64_t>(n);
  }
}

// Moves `from` to `to` unless `to` exists. Returns false when it existed (nothing moved).
// renameat2(RENAME_NOREPLACE) is atomic; filesystems without it get link + unlink, which
// also never replaces an existing name.
Result<bool> MoveNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return true;
  }
  if (errno == EEXIST) return false;
  if (errno != EINVAL && errno != ENOSYS) return ErrnoError("rename " + from + " to", to, errno);
  if (::link(from.c_str(), to.c_str()) != 0) {
    if (errno == EEXIST) return false;
    return ErrnoError("link " + from + " to", to, errno);
  }
  if (::unlink(from.c_str()) != 0 && errno != ENOENT) return ErrnoError("unlink", from, errno);
  return true;
}

Error Finished(const std::string& ref, std::string_view op) {
  return MakeError(ErrorCode::kFailedPrecondition,
                   std::string(op) + " ingest " + ref + ": already committed or aborted");
}

}  // namespace

IngestWriter::IngestWriter(std::string ref, std::string dir, std::string blob_dir, FileLock lock,
                           UniqueFd data, std::uint64_t offset,
                           std::unique_ptr<oci::Sha256Hasher> hasher)
    : ref_(std::move(ref)),
      dir_(std::move(dir)),
      blob_dir_(std::move(blob_dir)),
      lock_(std::move(lock)),
      data_(std::move(data)),
      offset_(offset),
      hasher_(std::move(hasher)) {}

IngestWriter::IngestWriter(IngestWriter&&) noexcept = default;
IngestWriter& IngestWriter::operator=(IngestWriter&&) noexcept = default;
// The partial data stays; closing the lock descriptor lets the next writer resume it.
IngestWriter::~IngestWriter() = default;

Result<void> IngestWriter::Write(std::string_view data) {
  if (!data_.valid()) return Finished(ref_, "write");
  while (!data.empty()) {
    const ssize_t n = ::pwrite(data_.get(), data.data(), data.size(), static_cast<off_t>(offset_));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write ingest", dir_ + "/data", errno);
    }
    // Hash exactly what reached the file, so offset_ and the hash agree after a failure.
    hasher_->Update(data.substr(0, static_cast<std::size_t>(n)));
    offset_ += static_cast<std::uint64_t>(n);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Removes an ingest directory whose lock the caller holds: data, ref, the lock file last.
static Result<void> RemoveIngestFiles(const std::string& dir) {
  for (const char* name : {"/data", "/ref", "/lock"}) {
    const std::string path = dir + name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("unlink", path, errno);
  }
  // Once the lock file is gone a new writer of this ref may already have recreated the
  // directory, so a non-empty directory is theirs and stays.
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST) {
    return ErrnoError("remove directory", dir, errno);
  }
  return {};
}

Result<void> IngestWriter::RemoveIngest() {
  data_.Reset();
  hasher_.reset();
  return RemoveIngestFiles(dir_);
}

Result<void> IngestWriter::Abort() {
  if (!data_.valid()) return Finished(ref_, "abort");
  return RemoveIngest();
}

Result<oci::Digest> IngestWriter::Commit(std::optional<std::uint64_t> expected_size,
                                         std::optional<oci::Digest> expected_digest) {
  if (!data_.valid()) return Finished(ref_, "commit");
  if (expected_size.has_value() && *expected_size != offset_) {
    // A failed removal is retried by the next Commit of this ref, which fails the same way.
    (void)RemoveIngest();
    return MakeError(ErrorCode::kDataLoss, "commit ingest " + ref_ + ": got " +
                                               std::to_string(offset_) + " bytes, expected " +
                                               std::to_string(*expected_size));
  }
  const oci::Digest digest = hasher_->Finish();
  hasher_.reset();
  if (expected_digest.has_value() && *expected_digest != digest) {
    (void)RemoveIngest();
    return MakeError(ErrorCode::kDataLoss, "commit ingest " + ref_ + ": content is " +
                                               digest.ToString() + ", expected " +
                                               expected_digest->ToString());
  }
  Result<void> published = Publish(digest);
  // The hasher is spent, so the writer is finished either way; after a kIo failure the
  // partial data stays and the next BeginIngest re-hashes it.
  data_.Reset();
  if (!published.has_value()) return Unexpected(std::move(published).error());
  return digest;
}

Result<void> IngestWriter::Publish(const oci::Digest& digest) {
  const std::string data_path = dir_ + "/data";
  const std::string blob_path = blob_dir_ + "/" + digest.hex();
  // Read-only before it becomes visible, so no reader ever sees a writable blob.
  if (::fchmod(data_.get(), 0444) != 0) return ErrnoError("chmod", data_path, errno);
  // Durable before the rename: otherwise a crash could publish a name with missing bytes.
  if (::fsync(data_.get()) != 0) {
    const int err = errno;
    (void)::fchmod(data_.get(), 0600);
    return ErrnoError("fsync", data_path, err);
  }
  Result<bool> moved = MoveNoReplace(data_path, blob_path);
  if (!moved.has_value()) {
    (void)::fchmod(data_.get(), 0600);
    return Unexpected(std::move(moved).error());
  }
  // Whether we won or another writer did, a complete blob now has the name; ours is dropped.
  BT_TRY(RemoveIngest());
  if (*moved) BT_TRY(FsyncDir(blob_dir_));
  return {};
}

ContentStore::ContentStore(std::string root)
    : blob_dir_(root + "/blobs/sha256"), ingest_dir_(root + "/blobs/ingest") {}

Result<ContentStore> ContentStore::Open(std::string root) {
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) return ErrnoError("open content store", root, errno);
  BT_TRY(MakeDir(root + "/blobs"));
  ContentStore store(std::move(root));
  BT_TRY(MakeDir(store.blob_dir_));
  BT_TRY(MakeDir(store.ingest_dir_));
  return store;
}

std::string ContentStore::BlobPath(const oci::Digest& digest) const {
  return blob_dir_ + "/" + digest.hex();
}

Result<IngestWriter> ContentStore::BeginIngest(std::string_view ref) const {
  if (ref.empty() || ref.size() > kMaxRefSize) {
    return MakeError(ErrorCode::kInvalidArgument, "begin ingest: a ref must have 1 to " +
                                                      std::to_string(kMaxRefSize) + " bytes");
  }
  const std::string dir = ingest_dir_ + "/" + oci::Digest::Of(ref).hex();
  std::optional<FileLock> lock;
  for (int attempt = 0; !lock.has_value(); ++attempt) {
    BT_TRY(MakeDir(dir));
    Result<FileLock> got = FileLock::Acquire(dir + "/lock", LockMode::kExclusive);
    if (got.has_value()) {
      lock.emplace(std::move(*got));
    } else if (got.error().sys_errno != ENOENT || attempt + 1 >= kMaxLockAttempts) {
      // ENOENT: a committer removed the directory between our mkdir and open; go again.
      return Unexpected(std::move(got).error().Wrap("begin ingest " + std::string(ref)));
    }
  }
  const std::string ref_path = dir + "/ref";
  if (::access(ref_path.c_str(), F_OK) != 0) {
    BT_ASSIGN_OR_RETURN(AtomicFile ref_file, AtomicFile::Create(ref_path, 0600));
    BT_TRY(ref_file.Write(ref));
    BT_TRY(ref_file.Commit());
  }
  const std::string data_path = dir + "/data";
  UniqueFd data(::open(data_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!data.valid()) return ErrnoError("open ingest", data_path, errno);
  auto hasher = std::make_unique<oci::Sha256Hasher>();
  BT_ASSIGN_OR_RETURN(std::uint64_t offset, HashAll(data.get(), *hasher, data_path));
  return IngestWriter(std::string(ref), dir, blob_dir_, std::move(*lock), std::move(data), offset,
                      std::move(hasher));
}

bool ContentStore::Contains(const oci::Digest& digest) const {
  struct stat st;
  return ::lstat(BlobPath(digest).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<UniqueFd> ContentStore::Open(const oci::Digest& digest) const {
  UniqueFd fd(::open(BlobPath(digest).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      return MakeError(ErrorCode::kNotFound, "open blob " + digest.ToString() + ": not found");
    }
    return ErrnoError("open blob", digest.ToString(), errno);
  }
  return fd;
}

Result<std::uint64_t> ContentStore::Size(const oci::Digest& digest) const {
  struct stat st;
  if (::lstat(BlobPath(digest).c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return MakeError(ErrorCode::kNotFound, "stat blob " + digest.ToString() + ": not found");
    }
    return ErrnoError("stat blob", digest.ToString(), errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kDataLoss,
                     "stat blob " + digest.ToString() + ": not a regular file");
  }
  return static_cast<std::uint64_t>(st.st_size);
}

Result<oci::Digest> ContentStore::Put(std::string_view bytes) const {
  const oci::Digest digest = oci::Digest::Of(bytes);
  if (Contains(digest)) return digest;
  BT_ASSIGN_OR_RETURN(IngestWriter writer, BeginIngest("put " + digest.ToString()));
  if (Contains(digest)) return digest;  // another writer stored it meanwhile
  if (writer.offset() != 0) {
    // A partial ingest of the same bytes, left by a crash: start over rather than trust it.
    BT_TRY(writer.Abort());
    BT_ASSIGN_OR_RETURN(writer, BeginIngest("put " + digest.ToString()));
  }
  BT_TRY(writer.Write(bytes));
  return writer.Commit(bytes.size(), digest);
}

Result<std::string> ContentStore::ReadAll(const oci::Digest& digest, std::size_t max_bytes,
                                          std::string_view what) const {
  const std::string name = std::string(what) + " " + digest.ToString();
  Result<UniqueFd> fd = Open(digest);
  if (!fd) {
    Error e = std::move(fd).error();
    if (e.code == ErrorCode::kNotFound) e.message = name + " is not in the content store";
    return e;
  }
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read", name, errno);
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes) {
      return MakeError(ErrorCode::kInvalidArgument,
                       name + ": over the limit of " + std::to_string(max_bytes) + " bytes");
    }
  }
}

Result<void> ContentStore::Delete(const oci::Digest& digest) {
  if (::unlink(BlobPath(digest).c_str()) != 0) {
    if (errno == ENOENT) {
      return MakeError(ErrorCode::kNotFound, "delete blob " + digest.ToString() + ": not found");
    }
    return ErrnoError("delete blob", digest.ToString(), errno);
  }
  return {};
}

Result<std::vector<oci::Digest>> ContentStore::Walk() const {
  UniqueFd dir_fd(::open(blob_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) return ErrnoError("open directory", blob_dir_, errno);
  DIR* dir = ::fdopendir(dir_fd.get());
  if (dir == nullptr) return ErrnoError("fdopendir", blob_dir_, errno);
  dir_fd.Release();  // owned by `dir` now
  std::vector<oci::Digest> digests;
  Result<void> status;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      if (errno != 0) status = ErrnoError("read directory", blob_dir_, errno);
      break;
    }
    // Temp files, strays and hostile names are not blobs; `du --check` reports them.
    Result<oci::Digest> digest = oci::Digest::Parse(std::string("sha256:") + entry->d_name);
    if (!digest.has_value()) continue;
    struct stat st;
    if (::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISREG(st.st_mode)) digests.push_back(*digest);
  }
  ::closedir(dir);
  BT_TRY(status);
  std::sort(digests.begin(), digests.end());
  return digests;
}

Result<void> ContentStore::Verify(const oci::Digest& digest) const {
  BT_ASSIGN_OR_RETURN(UniqueFd fd, Open(digest));
  oci::Sha256Hasher hasher;
  BT_TRY(HashAll(fd.get(), hasher, BlobPath(digest)));
  const oci::Digest actual = hasher.Finish();
  if (actual != digest) {
    return MakeError(ErrorCode::kDataLoss, "verify blob " + digest.ToString() +
                                               ": content hashes to " + actual.ToString());
  }
  return {};
}

Result<std::size_t> ContentStore::RemoveAbandonedIngests() {
  UniqueFd fd(::open(ingest_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open", ingest_dir_, errno);
  DIR* d = ::fdopendir(fd.Release());
  if (!d) return ErrnoError("opendir", ingest_dir_, errno);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  std::size_t removed = 0;
  for (const std::string& name : names) {
    const std::string dir = ingest_dir_ + "/" + name;
    // A held lock is a live writer; a free one is a writer that died or gave up.
    Result<std::optional<FileLock>> lock =
        FileLock::TryAcquire(dir + "/lock", LockMode::kExclusive);
    if (!lock) {
      if (lock.error().sys_errno == ENOENT || lock.error().sys_errno == ENOTDIR) continue;
      return std::move(lock).error();
    }
    if (!lock->has_value()) continue;
    BT_TRY(RemoveIngestFiles(dir));
    ++removed;
  }
  return removed;
}

}  // namespace bt::cache
