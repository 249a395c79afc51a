#include "base/atomic_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace bt {
namespace {

// The last component and its directory ("." when `path` has no slash).
std::pair<std::string, std::string> SplitPath(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

}  // namespace

AtomicFile::AtomicFile(std::string path, std::string temp_path, UniqueFd fd, UniqueFd dir_fd)
    : path_(std::move(path)),
      temp_path_(std::move(temp_path)),
      fd_(std::move(fd)),
      dir_fd_(std::move(dir_fd)) {}

Result<AtomicFile> AtomicFile::Create(std::string path, mode_t mode) {
  auto [dir, name] = SplitPath(path);
  if (name.empty() || name == "." || name == "..") {
    return MakeError(ErrorCode::kInvalidArgument, "create atomic file " + path + ": no file name");
  }
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) return ErrnoError("open directory", dir, errno);
  std::string temp = dir + "/." + name + ".tmp-XXXXXX";
  UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("create temp file", temp, errno);
  AtomicFile file(std::move(path), std::move(temp), std::move(fd), std::move(dir_fd));
  // mkostemp always creates 0600; the destructor of `file` cleans up if this fails.
  if (::fchmod(file.fd_.get(), mode) != 0) return ErrnoError("chmod", file.temp_path_, errno);
  return file;
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::exchange(other.temp_path_, std::string())),
      fd_(std::move(other.fd_)),
      dir_fd_(std::move(other.dir_fd_)) {}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    Discard();
    path_ = std::move(other.path_);
    temp_path_ = std::exchange(other.temp_path_, std::string());
    fd_ = std::move(other.fd_);
    dir_fd_ = std::move(other.dir_fd_);
  }
  return *this;
}

AtomicFile::~AtomicFile() { Discard(); }

void AtomicFile::Discard() {
  fd_.Reset();
  if (!temp_path_.empty()) (void)::unlink(temp_path_.c_str());
  temp_path_.clear();
}

Result<void> AtomicFile::Write(std::string_view data) {
  if (temp_path_.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition, "write " + path_ + ": already committed");
  }
  while (!data.empty()) {
    const ssize_t n = ::write(fd_.get(), data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", temp_path_, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<void> AtomicFile::Commit() {
  if (temp_path_.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition, "commit " + path_ + ": already committed");
  }
  // Without this fsync a crash after the rename could leave the target empty: ext4 and xfs
  // may persist the rename before the data.
  if (::fsync(fd_.get()) != 0) return ErrnoError("fsync", temp_path_, errno);
  fd_.Reset();
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    return ErrnoError("rename " + temp_path_ + " to", path_, errno);
  }
  temp_path_.clear();  // the temp name is gone; nothing left for the destructor
  // The rename itself is durable only once the directory is.
  if (::fsync(dir_fd_.get()) != 0) return ErrnoError("fsync directory of", path_, errno);
  return {};
}

}  // namespace bt
