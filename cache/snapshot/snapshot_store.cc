#include "cache/snapshot/snapshot_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/temp_dir.h"
#include "base/unique_fd.h"
#include "cache/random_id.h"
#include "cache/snapshot/chain_flatten.h"
#include "cache/snapshot/rootfs_diff.h"

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

// Whether `path` is a directory with no entries. kIo when it cannot be read.
Result<bool> IsEmptyDir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open", path, errno);
  BT_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirNames(fd.get(), path));
  return names.empty();
}

}  // namespace

bool IsValidSnapshotId(std::string_view id) {
  if (id.size() != kIdLength) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<SnapshotStore> SnapshotStore::Open(std::string root, SnapshotterKind kind) {
  BT_TRY(MakeDir(root));
  const std::string dir = root + "/snapshots";
  BT_TRY(MakeDir(dir));
  return SnapshotStore(dir, kind);
}

std::string SnapshotStore::DiffPath(const std::string& id) const {
  return dir_ + "/" + id + "/diff";
}

std::string SnapshotStore::RootfsPath(const std::string& id) const {
  return dir_ + "/" + id + "/rootfs";
}

bool SnapshotStore::Exists(const std::string& id, const char* entry) const {
  const std::string path = dir_ + "/" + id + "/" + entry;
  return ::access(path.c_str(), F_OK) == 0;
}

bool SnapshotStore::IsCommitted(const std::string& id) const {
  if (!IsValidSnapshotId(id)) return false;
  return Exists(id, "committed");
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

Result<std::string> SnapshotStore::Prepare(const std::optional<std::string>& parent,
                                           PrepareFor purpose) {
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
  // The id never reaches the caller when preparing fails (a full disk, say), so nothing else
  // would ever remove the half-made directory: it goes here, on every failure.
  if (Result<void> made = PrepareDirectory(id, parent, purpose); !made) {
    (void)Remove(id);  // best effort: an uncommitted directory is never trusted anyway
    return std::move(made).error().Wrap("prepare snapshot " + id);
  }
  return id;
}

Result<void> SnapshotStore::PrepareDirectory(const std::string& id,
                                             const std::optional<std::string>& parent,
                                             PrepareFor purpose) {
  const std::string dir = dir_ + "/" + id;
  // diff/ becomes the container's root when it is the upper dir: it must be 0755.
  const std::string diff = dir + "/diff";
  if (::mkdir(diff.c_str(), 0755) != 0) return ErrnoError("mkdir", diff, errno);
  if (kind_ == SnapshotterKind::kOverlay) BT_TRY(MakeDir(dir + "/work"));
  if (parent) BT_TRY(WriteFileAtomically(dir, "parent", *parent + "\n"));
  if (kind_ == SnapshotterKind::kCopy && purpose == PrepareFor::kRootfs) {
    BT_TRY(MakeRootfs(id, parent));
  }
  return {};
}

Result<void> SnapshotStore::MakeRootfs(const std::string& id,
                                       const std::optional<std::string>& parent) {
  const std::string rootfs = RootfsPath(id);
  // The container's root, like diff/ on overlayfs: 0755 whatever the umask.
  if (::mkdir(rootfs.c_str(), 0755) != 0) return ErrnoError("mkdir", rootfs, errno);
  if (::chmod(rootfs.c_str(), 0755) != 0) return ErrnoError("chmod", rootfs, errno);
  if (!parent) return {};
  return FlattenParentChain(*parent, rootfs);
}

Result<void> SnapshotStore::FlattenParentChain(const std::string& parent,
                                               const std::string& dest) const {
  BT_ASSIGN_OR_RETURN(std::vector<std::string> chain, Chain(parent));
  std::vector<std::string> diffs;
  for (const std::string& layer : chain) diffs.push_back(DiffPath(layer));
  return FlattenChain(diffs, dest);
}

Result<void> SnapshotStore::Commit(const std::string& id) {
  if (!IsValidSnapshotId(id)) return Invalid("invalid snapshot id \"" + id + "\"");
  if (IsCommitted(id)) {
    return MakeError(ErrorCode::kFailedPrecondition, "snapshot " + id + " is already committed");
  }
  const std::string dir = dir_ + "/" + id;
  if (Exists(id, "rootfs")) {
    Result<void> diffed = CommitRootfs(id);
    if (!diffed) {
      // Best effort: the next Commit or Remove deletes them too.
      (void)RemoveTree(dir + "/lower");
      (void)RemoveTree(dir + "/diff.new");
      return std::move(diffed).error().Wrap("commit snapshot " + id);
    }
  }
  // Scratch of this or an earlier, interrupted Commit, and overlayfs' work dir.
  for (const char* scratch : {"lower", "diff.new", "rootfs.old", "work"}) {
    BT_TRY(RemoveTree(dir + "/" + scratch));
  }
  // The marker comes last: a crash before it leaves an abandoned active snapshot.
  return WriteFileAtomically(dir, "committed", "");
}

Result<void> SnapshotStore::CommitRootfs(const std::string& id) {
  const std::string dir = dir_ + "/" + id;
  const std::string lower = dir + "/lower";
  const std::string fresh = dir + "/diff.new";
  BT_TRY(RemoveTree(lower));
  BT_TRY(RemoveTree(fresh));
  BT_ASSIGN_OR_RETURN(std::optional<std::string> parent, Parent(id));
  RootfsDiffRequest request;
  request.upper = RootfsPath(id);
  request.diff = fresh;
  if (parent) {
    // The base of the comparison is the parent as rootfs/ started out: flattened again
    // rather than kept from Prepare, so an active snapshot costs one copy, not two.
    if (::mkdir(lower.c_str(), 0755) != 0) return ErrnoError("mkdir", lower, errno);
    BT_TRY(FlattenParentChain(*parent, lower));
    request.lower = lower;
  }
  if (::mkdir(fresh.c_str(), 0755) != 0) return ErrnoError("mkdir", fresh, errno);
  BT_TRY(WriteRootfsDiff(request));
  // A caller that prepared for a rootfs may still have written diff/ directly (a layer
  // applied with the default PrepareFor): that diff stands when rootfs/ holds no change.
  BT_ASSIGN_OR_RETURN(bool diff_empty, IsEmptyDir(DiffPath(id)));
  if (diff_empty) {
    // rename(2) replaces an empty directory atomically.
    if (::rename(fresh.c_str(), DiffPath(id).c_str()) != 0) {
      return ErrnoError("rename", fresh, errno);
    }
  } else {
    BT_ASSIGN_OR_RETURN(bool fresh_empty, IsEmptyDir(fresh));
    if (!fresh_empty) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "both rootfs/ and diff/ hold changes; a snapshot written as a diff must "
                       "be prepared with PrepareFor::kDiff");
    }
  }
  // From here on diff/ is final. Renaming rootfs/ away first makes the step atomic: a
  // retried Commit finds no rootfs/ and only finishes the cleanup and the marker.
  const std::string old = dir + "/rootfs.old";
  BT_TRY(RemoveTree(old));
  if (::rename(RootfsPath(id).c_str(), old.c_str()) != 0) {
    return ErrnoError("rename", RootfsPath(id), errno);
  }
  return {};
}

Result<void> SnapshotStore::Remove(const std::string& id) {
  if (!IsValidSnapshotId(id)) return Invalid("invalid snapshot id \"" + id + "\"");
  // Unmark first, so that a crash in the middle never leaves a "committed" partial tree.
  const std::string marker = dir_ + "/" + id + "/committed";
  if (::unlink(marker.c_str()) != 0 && errno != ENOENT) return ErrnoError("unlink", marker, errno);
  // RemoveTree never follows symlinks and copes with the modes a build step left in rootfs/.
  return RemoveTree(dir_ + "/" + id);
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
  if (active && !Exists(id, "work")) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "snapshot " + id + " is active without an overlay work dir (copy "
                     "snapshotter): it has no overlay mount, see RootfsMount");
  }
  for (std::size_t i = active ? 1 : 0; i < chain.size(); ++i) {
    spec.lowerdirs.push_back(chain[i] + "/diff");
  }
  if (active) {
    spec.upperdir = id + "/diff";
    spec.workdir = id + "/work";
  }
  return spec;
}

Result<RootfsSpec> SnapshotStore::RootfsMount(const std::string& id) const {
  if (!IsValidSnapshotId(id)) return Invalid("invalid snapshot id \"" + id + "\"");
  const bool committed = IsCommitted(id);
  if (!committed && Exists(id, "rootfs")) return RootfsSpec(BindSpec{RootfsPath(id)});
  if (committed && kind_ == SnapshotterKind::kCopy) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "snapshot " + id + " is committed and the copy snapshotter keeps no "
                     "directory with its tree: prepare an active snapshot on it");
  }
  if (!committed && !Exists(id, "work")) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "snapshot " + id + " was prepared for writing a diff and has no root "
                     "filesystem");
  }
  BT_ASSIGN_OR_RETURN(OverlaySpec spec, MountSpec(id));
  return RootfsSpec(std::move(spec));
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

namespace {

// The steps of the probe child, reported to the parent with the errno of the one that failed.
enum ProbeStage : int {
  kProbeUnshare = 1,
  kProbePrivate,
  kProbeChdir,
  kProbeMount,
  kProbeRead,
  kProbeCreate,
  kProbeDelete,
};

const char* ProbeStageName(int stage) {
  switch (stage) {
    case kProbeUnshare: return "unshare the mount namespace";
    case kProbePrivate: return "make mounts private (\"/\" is no mount point in a chroot)";
    case kProbeChdir: return "enter the probe directory";
    case kProbeMount: return "mount overlay";
    case kProbeRead: return "read a lower file through the overlay";
    case kProbeCreate: return "create a file through the overlay";
    case kProbeDelete: return "delete a lower file through the overlay";
    default: return "run the probe";
  }
}

// False with the reason when the kernel does not offer overlayfs (or /proc is missing).
bool ProcFilesystemsListsOverlay(std::string& reason) {
  UniqueFd fd(::open("/proc/filesystems", O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    reason = std::string("cannot read /proc/filesystems: ") + std::strerror(errno);
    return false;
  }
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      reason = std::string("cannot read /proc/filesystems: ") + std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  // Lines are "nodev\toverlay" or "\text4".
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + pos, end - pos);
    const std::size_t tab = line.rfind('\t');
    if (line.substr(tab == std::string_view::npos ? 0 : tab + 1) == "overlay") return true;
    pos = end + 1;
  }
  reason = "the kernel does not list overlay in /proc/filesystems";
  return false;
}

// The probe proper, in `dir` (which holds l1/, l2/, u/, w/ and m/). Everything the child
// needs is built before fork: between fork and _exit it only makes system calls, which is
// what is safe in the child of a multi-threaded process.
Result<OverlayfsProbe> MountInChild(const std::string& dir) {
  const std::string options = "lowerdir=l1:l2,upperdir=u,workdir=w";
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe", "overlay probe", errno);
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  const char* dir_c = dir.c_str();
  const char* options_c = options.c_str();
  const pid_t child = ::fork();
  if (child < 0) return ErrnoError("fork", "overlay probe", errno);
  if (child == 0) {
    const int out = write_end.get();
    const auto fail = [out](int stage) {
      const int message[2] = {stage, errno};
      (void)!::write(out, message, sizeof(message));
      ::_exit(1);
    };
    if (::unshare(CLONE_NEWNS) != 0) fail(kProbeUnshare);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail(kProbePrivate);
    // Relative lowerdirs, as the executor mounts snapshot chains (OverlaySpec::base).
    if (::chdir(dir_c) != 0) fail(kProbeChdir);
    if (::mount("overlay", "m", "overlay", 0, options_c) != 0) fail(kProbeMount);
    if (::access("m/bottom", F_OK) != 0) fail(kProbeRead);
    const int fd = ::open("m/created", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) fail(kProbeCreate);
    ::close(fd);
    if (::unlink("m/bottom") != 0) fail(kProbeDelete);
    (void)::umount2("m", MNT_DETACH);
    ::_exit(0);
  }
  write_end.Reset();
  int message[2] = {0, 0};
  ssize_t got;
  do {
    got = ::read(read_end.get(), message, sizeof(message));
  } while (got < 0 && errno == EINTR);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoError("wait for", "overlay probe", errno);
  }
  OverlayfsProbe probe;
  if (got == static_cast<ssize_t>(sizeof(message))) {
    probe.reason = std::string("cannot ") + ProbeStageName(message[0]) + ": " +
                   std::strerror(message[1]);
    return probe;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    probe.reason = "the probe child did not exit cleanly";
    return probe;
  }
  // The writes must have landed in the upper dir in overlay form.
  struct stat st;
  const std::string whiteout = dir + "/u/bottom";
  const std::string created = dir + "/u/created";
  if (::lstat(created.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    probe.reason = "a file created through the overlay is missing from the upper dir";
    return probe;
  }
  if (::lstat(whiteout.c_str(), &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(0, 0)) {
    probe.reason = "deleting through the overlay left no char 0:0 whiteout in the upper dir";
    return probe;
  }
  probe.works = true;
  return probe;
}

}  // namespace

Result<OverlayfsProbe> ProbeOverlayfs(const std::string& scratch_dir) {
  OverlayfsProbe probe;
  if (!ProcFilesystemsListsOverlay(probe.reason)) return probe;
  BT_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create(scratch_dir, ".overlay-probe-"));
  for (const char* sub : {"l1", "l2", "u", "w", "m"}) {
    const std::string path = dir.path() + "/" + sub;
    if (::mkdir(path.c_str(), 0755) != 0) return ErrnoError("mkdir", path, errno);
  }
  const std::string bottom = dir.path() + "/l2/bottom";
  UniqueFd fd(::open(bottom.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoError("create", bottom, errno);
  fd.Reset();
  BT_ASSIGN_OR_RETURN(probe, MountInChild(dir.path()));
  // The work dir's inner directory is mode 000; RemoveTree copes with that.
  BT_TRY(dir.Remove());
  return probe;
}

}  // namespace bt::cache
