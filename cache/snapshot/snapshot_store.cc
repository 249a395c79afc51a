#include "cache/snapshot/snapshot_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "base/unique_fd.h"
#include "cache/random_id.h"

namespace bt::cache {
namespace {

constexpr std::size_t kIdLength = 12;
// Overlay stacks at most 500 layers (the kernel's OVL_MAX_STACK); refuse deeper chains
// before a mount would fail obscurely.
constexpr std::size_t kMaxChain = 500;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

Result<void> MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoError("mkdir", path, errno);
  return {};
}

// Writes `data` to path via a temporary file, fsync and rename, then fsyncs the directory.
Result<void> WriteFileAtomically(const std::string& dir, const std::string& name,
                                 std::string_view data) {
  const std::string tmp = dir + "/." + name + ".tmp";
  const std::string final_path = dir + "/" + name;
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoError("open", tmp, errno);
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("write", tmp, errno);
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return ErrnoError("fsync", tmp, errno);
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError("rename", final_path, err);
  }
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd.valid() || ::fsync(dfd.get()) != 0) return ErrnoError("fsync", dir, errno);
  return {};
}

// Removes a tree without following symlinks (unlinkat relative to directory fds).
Result<void> RemoveTree(int parent_fd, const std::string& name, const std::string& display) {
  struct stat st;
  if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return ErrnoError("stat", display, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    const int fd = ::openat(parent_fd, name.c_str(),
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open", display, errno);
    DIR* d = ::fdopendir(fd);  // owns fd from here
    if (!d) {
      const int err = errno;
      ::close(fd);
      return ErrnoError("opendir", display, err);
    }
    Result<void> result;
    while (dirent* e = ::readdir(d)) {
      const std::string child = e->d_name;
      if (child == "." || child == "..") continue;
      result = RemoveTree(::dirfd(d), child, display + "/" + child);
      if (!result) break;
    }
    ::closedir(d);
    if (!result) return result;
    if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) != 0) {
      return ErrnoError("rmdir", display, errno);
    }
    return {};
  }
  if (::unlinkat(parent_fd, name.c_str(), 0) != 0) return ErrnoError("unlink", display, errno);
  return {};
}

}  // namespace

bool IsValidSnapshotId(std::string_view id) {
  if (id.size() != kIdLength) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<SnapshotStore> SnapshotStore::Open(std::string root) {
  BT_TRY(MakeDir(root));
  const std::string dir = root + "/snapshots";
  BT_TRY(MakeDir(dir));
  return SnapshotStore(dir);
}

std::string SnapshotStore::DiffPath(const std::string& id) const {
  return dir_ + "/" + id + "/diff";
}

bool SnapshotStore::IsCommitted(const std::string& id) const {
  if (!IsValidSnapshotId(id)) return false;
  const std::string marker = dir_ + "/" + id + "/committed";
  return ::access(marker.c_str(), F_OK) == 0;
}

Result<std::optional<std::string>> SnapshotStore::Parent(const std::string& id) const {
  const std::string path = dir_ + "/" + id + "/parent";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<std::string>();
    return ErrnoError("open", path, errno);
  }
  char buf[64];
  const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
  if (n < 0) return ErrnoError("read", path, errno);
  std::string parent(buf, static_cast<std::size_t>(n));
  while (!parent.empty() && parent.back() == '\n') parent.pop_back();
  if (!IsValidSnapshotId(parent)) {
    return MakeError(ErrorCode::kDataLoss, "snapshot " + id + ": corrupt parent record");
  }
  return std::optional<std::string>(parent);
}

Result<std::string> SnapshotStore::Prepare(const std::optional<std::string>& parent) {
  if (parent) {
    if (!IsValidSnapshotId(*parent)) return Invalid("invalid snapshot id \"" + *parent + "\"");
    if (!IsCommitted(*parent)) {
      return MakeError(ErrorCode::kNotFound, "snapshot " + *parent + " is not committed");
    }
    BT_ASSIGN_OR_RETURN(std::vector<std::string> chain, Chain(*parent));
    if (chain.size() >= kMaxChain) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "snapshot chain deeper than " + std::to_string(kMaxChain) + " layers");
    }
  }
  BT_ASSIGN_OR_RETURN(std::string id, RandomHexId(kIdLength / 2));
  const std::string dir = dir_ + "/" + id;
  if (::mkdir(dir.c_str(), 0700) != 0) return ErrnoError("mkdir", dir, errno);
  // diff/ becomes the container's root when it is the upper dir: it must be 0755.
  const std::string diff = dir + "/diff";
  if (::mkdir(diff.c_str(), 0755) != 0) return ErrnoError("mkdir", diff, errno);
  BT_TRY(MakeDir(dir + "/work"));
  if (parent) BT_TRY(WriteFileAtomically(dir, "parent", *parent + "\n"));
  return id;
}

Result<void> SnapshotStore::Commit(const std::string& id) {
  if (!IsValidSnapshotId(id)) return Invalid("invalid snapshot id \"" + id + "\"");
  if (IsCommitted(id)) {
    return MakeError(ErrorCode::kFailedPrecondition, "snapshot " + id + " is already committed");
  }
  const std::string dir = dir_ + "/" + id;
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd.valid()) return ErrnoError("open", dir, errno);
  BT_TRY(RemoveTree(dfd.get(), "work", dir + "/work"));
  // The marker comes last: a crash before it leaves an abandoned active snapshot.
  return WriteFileAtomically(dir, "committed", "");
}

Result<void> SnapshotStore::Remove(const std::string& id) {
  if (!IsValidSnapshotId(id)) return Invalid("invalid snapshot id \"" + id + "\"");
  UniqueFd dfd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd.valid()) return ErrnoError("open", dir_, errno);
  // Unmark first, so that a crash in the middle never leaves a "committed" partial tree.
  const std::string marker = dir_ + "/" + id + "/committed";
  if (::unlink(marker.c_str()) != 0 && errno != ENOENT) return ErrnoError("unlink", marker, errno);
  return RemoveTree(dfd.get(), id, dir_ + "/" + id);
}

Result<std::vector<std::string>> SnapshotStore::Chain(const std::string& id) const {
  if (!IsValidSnapshotId(id)) return Invalid("invalid snapshot id \"" + id + "\"");
  std::vector<std::string> chain{id};
  std::optional<std::string> next = id;
  while (true) {
    BT_ASSIGN_OR_RETURN(std::optional<std::string> parent, Parent(*next));
    if (!parent) break;
    if (chain.size() > kMaxChain) {
      return MakeError(ErrorCode::kDataLoss, "snapshot " + id + ": parent chain loops or is too deep");
    }
    chain.push_back(*parent);
    next = parent;
  }
  return chain;
}

Result<OverlaySpec> SnapshotStore::MountSpec(const std::string& id) const {
  BT_ASSIGN_OR_RETURN(std::vector<std::string> chain, Chain(id));
  OverlaySpec spec;
  spec.base = dir_;
  const bool active = !IsCommitted(id);
  for (std::size_t i = active ? 1 : 0; i < chain.size(); ++i) {
    spec.lowerdirs.push_back(chain[i] + "/diff");
  }
  if (active) {
    spec.upperdir = id + "/diff";
    spec.workdir = id + "/work";
  }
  return spec;
}

Result<std::vector<std::string>> SnapshotStore::List() const {
  UniqueFd fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open", dir_, errno);
  DIR* d = ::fdopendir(fd.Release());
  if (!d) return ErrnoError("opendir", dir_, errno);
  std::vector<std::string> ids;
  while (dirent* e = ::readdir(d)) {
    if (IsValidSnapshotId(e->d_name)) ids.emplace_back(e->d_name);
  }
  ::closedir(d);
  return ids;
}

}  // namespace bt::cache
