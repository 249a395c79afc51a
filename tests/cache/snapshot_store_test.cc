// SnapshotStore: directories, commit markers, parent chains and mount descriptions, for both
// snapshotters. The mount tests run overlayfs for real (root, in a child with its own mount
// namespace); one of them checks that the copy snapshotter commits the same diff overlayfs
// leaves for the same step.
#include "cache/snapshot/snapshot_store.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>

#include <catch2/catch.hpp>

#include "base/unique_fd.h"
#include "cache/snapshot/chain_flatten.h"
#include "cache/snapshot/diff_changes.h"

namespace bt::cache {
namespace {

struct Root {
  std::string path;
  Root() {
    char tmpl[] = "/tmp/bt-snapshots-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~Root() { std::system(("rm -rf '" + path + "'").c_str()); }
};

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path) << data;
}

TEST_CASE("a prepared snapshot is active until committed, then read-only in its chain",
          "[cache][snapshot]") {
  Root root;
  Result<SnapshotStore> store = SnapshotStore::Open(root.path);
  REQUIRE(store.has_value());
  const Result<std::string> base = store->Prepare(std::nullopt);
  REQUIRE(base.has_value());
  CHECK(IsValidSnapshotId(*base));
  CHECK_FALSE(store->IsCommitted(*base));
  // An active snapshot cannot be a parent.
  CHECK(store->Prepare(*base).error().code == ErrorCode::kNotFound);
  REQUIRE(store->Commit(*base).has_value());
  CHECK(store->IsCommitted(*base));
  CHECK(store->Commit(*base).error().code == ErrorCode::kFailedPrecondition);

  const Result<std::string> child = store->Prepare(*base);
  REQUIRE(child.has_value());
  const Result<OverlaySpec> active = store->MountSpec(*child);
  REQUIRE(active.has_value());
  CHECK(active->upperdir == *child + "/diff");
  CHECK(active->workdir == *child + "/work");
  CHECK(active->lowerdirs == std::vector<std::string>{*base + "/diff"});
  REQUIRE(store->Commit(*child).has_value());
  const Result<OverlaySpec> view = store->MountSpec(*child);
  CHECK(view->upperdir.empty());
  CHECK(view->lowerdirs == std::vector<std::string>{*child + "/diff", *base + "/diff"});
  CHECK(*store->Chain(*child) == std::vector<std::string>{*child, *base});
}

TEST_CASE("ids that are not snapshot ids never become paths", "[cache][snapshot]") {
  Root root;
  Result<SnapshotStore> store = SnapshotStore::Open(root.path);
  REQUIRE(store.has_value());
  for (const char* bad : {"../../etc", "", "ABCDEF012345", "0123456789ab/..", "0123"}) {
    INFO(bad);
    CHECK_FALSE(IsValidSnapshotId(bad));
    CHECK(store->Prepare(std::string(bad)).error().code == ErrorCode::kInvalidArgument);
    CHECK(store->Remove(bad).error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("a removed snapshot is gone, committed or not", "[cache][snapshot]") {
  Root root;
  Result<SnapshotStore> store = SnapshotStore::Open(root.path);
  const std::string a = *store->Prepare(std::nullopt);
  WriteFile(store->DiffPath(a) + "/file", "x");
  ::symlink("/etc", (store->DiffPath(a) + "/link").c_str());  // must not be followed
  REQUIRE(store->Commit(a).has_value());
  REQUIRE(store->Remove(a).has_value());
  CHECK_FALSE(store->IsCommitted(a));
  CHECK(store->List()->empty());
  CHECK(::access("/etc/passwd", F_OK) == 0);
}

TEST_CASE("a 120-layer chain mounts as one overlay", "[cache][snapshot][root]") {
  if (::geteuid() != 0) {
    WARN("skipped: mounting overlayfs needs root");
    return;
  }
  Root root;
  Result<SnapshotStore> store = SnapshotStore::Open(root.path);
  std::optional<std::string> parent;
  for (int i = 0; i < 120; ++i) {
    const std::string id = *store->Prepare(parent);
    WriteFile(store->DiffPath(id) + "/layer" + std::to_string(i), std::to_string(i));
    REQUIRE(store->Commit(id).has_value());
    parent = id;
  }
  const std::string top = *store->Prepare(parent);
  const OverlaySpec spec = *store->MountSpec(top);
  REQUIRE(spec.lowerdirs.size() == 120);
  const std::string target = root.path + "/mnt";
  ::mkdir(target.c_str(), 0755);
  const pid_t child = ::fork();
  if (child == 0) {
    // The mount options name lowers relative to spec.base, as the executor will.
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(10);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(11);
    if (::chdir(spec.base.c_str()) != 0) ::_exit(12);
    std::string lower;
    for (const std::string& l : spec.lowerdirs) lower += (lower.empty() ? "" : ":") + l;
    const std::string options =
        "lowerdir=" + lower + ",upperdir=" + spec.upperdir + ",workdir=" + spec.workdir;
    if (::mount("overlay", target.c_str(), "overlay", 0, options.c_str()) != 0) ::_exit(13);
    const std::string bottom = target + "/layer0";
    const std::string top_file = target + "/layer119";
    if (::access(bottom.c_str(), F_OK) != 0 || ::access(top_file.c_str(), F_OK) != 0) ::_exit(14);
    // A write lands in the active snapshot's diff only.
    WriteFile(target + "/new", "n");
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 10 || WEXITSTATUS(status) == 11) {
    // In a chroot "/" is no mount point, so mounts cannot be made private to the child.
    WARN("skipped: cannot create a private mount namespace here (exit " << WEXITSTATUS(status)
         << ")");
    return;
  }
  if (WEXITSTATUS(status) == 13) {
    WARN("skipped: overlayfs is not available here");
    return;
  }
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(::access((store->DiffPath(top) + "/new").c_str(), F_OK) == 0);
}


#define BT_REQUIRE_ROOT()                                                                  \
  do {                                                                                     \
    if (::geteuid() != 0) {                                                                \
      WARN("SKIPPED: needs root (whiteouts, chown); running as uid " << ::geteuid());      \
      return;                                                                              \
    }                                                                                      \
  } while (0)

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The diff as "<kind> <path>" lines in tar order: W written, D deleted (whiteout), O opaque.
std::vector<std::string> Changes(const std::string& diff) {
  Result<std::vector<Change>> changes = ListChanges(diff);
  REQUIRE(changes.has_value());
  std::vector<std::string> out;
  for (const Change& c : *changes) {
    const char* kind = c.kind == ChangeKind::kDelete      ? "D"
                       : c.kind == ChangeKind::kOpaqueDir ? "O"
                                                          : "W";
    out.push_back(std::string(kind) + " " + c.path);
  }
  return out;
}

// Every entry below root with its type, permission bits, owner, mtime and content or target.
std::vector<std::string> Signature(const std::string& root, const std::string& rel = "") {
  std::vector<std::string> out;
  const std::string dir = rel.empty() ? root : root + "/" + rel;
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd.valid());
  Result<std::vector<std::string>> names = ListDirNames(fd.get(), dir);
  REQUIRE(names.has_value());
  for (const std::string& name : *names) {
    const std::string child = rel.empty() ? name : rel + "/" + name;
    const std::string path = root + "/" + child;
    struct stat st;
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    std::ostringstream line;
    line << child << " mode=" << std::oct << st.st_mode << std::dec << " owner=" << st.st_uid
         << ":" << st.st_gid << " mtime=" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
    if (S_ISREG(st.st_mode)) line << " content=" << ReadFile(path);
    if (S_ISLNK(st.st_mode)) line << " target=" << std::filesystem::read_symlink(path).string();
    out.push_back(line.str());
    if (S_ISDIR(st.st_mode)) {
      for (std::string& sub : Signature(root, child)) out.push_back(std::move(sub));
    }
  }
  return out;
}

// Plain system calls that report failure instead of REQUIRE-ing: they also run in a forked
// child, on an overlay mount.
bool Write(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  out.close();
  return static_cast<bool>(out);
}
bool RemoveAll(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);  // never follows symlinks
  return !ec;
}

// An image-like tree for the step below to change.
bool PopulateBase(const std::string& root) {
  return ::mkdir((root + "/bin").c_str(), 0755) == 0 && Write(root + "/bin/sh", "sh") &&
         ::mkdir((root + "/etc").c_str(), 0755) == 0 && Write(root + "/etc/conf", "old") &&
         Write(root + "/etc/keep", "same") && Write(root + "/etc/mode", "m") &&
         ::chmod((root + "/etc/mode").c_str(), 0644) == 0 &&
         ::symlink("target1", (root + "/etc/link").c_str()) == 0 && Write(root + "/gone", "g") &&
         ::mkdir((root + "/olddir").c_str(), 0755) == 0 && Write(root + "/olddir/a", "a") &&
         ::mkdir((root + "/olddir/sub").c_str(), 0755) == 0 &&
         Write(root + "/olddir/sub/b", "b") && ::mkdir((root + "/wasdir").c_str(), 0755) == 0 &&
         Write(root + "/wasdir/x", "x") && Write(root + "/wasfile", "f");
}

// One build step: a new file, a modified file, a deleted file, a deleted tree, a directory
// replaced by a file and the reverse, a chmod-only change and a symlink retarget.
bool Step(const std::string& root) {
  return Write(root + "/added", "new") && Write(root + "/etc/conf", "new content") &&
         ::unlink((root + "/gone").c_str()) == 0 && RemoveAll(root + "/olddir") &&
         RemoveAll(root + "/wasdir") && Write(root + "/wasdir", "now a file") &&
         ::unlink((root + "/wasfile").c_str()) == 0 &&
         ::mkdir((root + "/wasfile").c_str(), 0755) == 0 &&
         Write(root + "/wasfile/inner", "i") && ::chmod((root + "/etc/mode").c_str(), 0600) == 0 &&
         ::unlink((root + "/etc/link").c_str()) == 0 &&
         ::symlink("target-two", (root + "/etc/link").c_str()) == 0;
}

std::string Rootfs(const SnapshotStore& store, const std::string& id) {
  const Result<RootfsSpec> spec = store.RootfsMount(id);
  REQUIRE(spec.has_value());
  REQUIRE(std::holds_alternative<BindSpec>(*spec));
  return std::get<BindSpec>(*spec).source;
}

TEST_CASE("the copy snapshotter prepares a plain rootfs, described as a bind mount",
          "[cache][snapshot]") {
  Root root;
  Result<SnapshotStore> store = SnapshotStore::Open(root.path, SnapshotterKind::kCopy);
  REQUIRE(store.has_value());
  CHECK(store->kind() == SnapshotterKind::kCopy);
  const std::string id = *store->Prepare(std::nullopt);
  const std::string dir = root.path + "/snapshots/" + id;
  CHECK(Rootfs(*store, id) == store->RootfsPath(id));
  CHECK(store->RootfsPath(id) == dir + "/rootfs");
  CHECK(Signature(store->RootfsPath(id)).empty());
  CHECK((std::filesystem::status(store->RootfsPath(id)).permissions() ==
         std::filesystem::perms(0755)));
  CHECK_FALSE(Exists(dir + "/work"));
  // There is no overlay to describe while it is active.
  CHECK(store->MountSpec(id).error().code == ErrorCode::kFailedPrecondition);

  Write(store->RootfsPath(id) + "/file", "x");
  REQUIRE(store->Commit(id).has_value());
  CHECK(store->IsCommitted(id));
  for (const char* scratch : {"rootfs", "lower", "diff.new", "rootfs.old", "work"}) {
    INFO(scratch);
    CHECK_FALSE(Exists(dir + "/" + scratch));
  }
  CHECK(Changes(store->DiffPath(id)) == std::vector<std::string>{"W file"});
  CHECK(store->Commit(id).error().code == ErrorCode::kFailedPrecondition);
  // The committed format is overlay's either way; without overlayfs no directory holds it.
  CHECK(store->MountSpec(id)->lowerdirs == std::vector<std::string>{id + "/diff"});
  CHECK(store->RootfsMount(id).error().code == ErrorCode::kFailedPrecondition);
}

TEST_CASE("a copy-mode step commits the diff overlayfs would leave", "[cache][snapshot][root]") {
  BT_REQUIRE_ROOT();
  Root root;
  SnapshotStore store = *SnapshotStore::Open(root.path, SnapshotterKind::kCopy);
  const std::string base = *store.Prepare(std::nullopt);
  REQUIRE(PopulateBase(Rootfs(store, base)));
  REQUIRE(store.Commit(base).has_value());
  CHECK(Changes(store.DiffPath(base)) ==
        std::vector<std::string>{"W bin", "W bin/sh", "W etc", "W etc/conf", "W etc/keep",
                                 "W etc/link", "W etc/mode", "W gone", "W olddir", "W olddir/a",
                                 "W olddir/sub", "W olddir/sub/b", "W wasdir", "W wasdir/x",
                                 "W wasfile"});

  const std::string step = *store.Prepare(base);
  const std::string rootfs = Rootfs(store, step);
  CHECK(ReadFile(rootfs + "/etc/conf") == "old");
  REQUIRE(Step(rootfs));
  const std::vector<std::string> after = Signature(rootfs);
  REQUIRE(store.Commit(step).has_value());
  CHECK_FALSE(Exists(rootfs));
  // Each change once, parents copied up (etc), one whiteout per removed tree; wasfile is a
  // plain directory where overlayfs would write an opaque one (see the equivalence test).
  CHECK(Changes(store.DiffPath(step)) ==
        std::vector<std::string>{"W added", "W etc", "W etc/conf", "W etc/link", "W etc/mode",
                                 "D gone", "D olddir", "W wasdir", "W wasfile",
                                 "W wasfile/inner"});

  // A child starts from exactly what the step left.
  const std::string next = *store.Prepare(step);
  CHECK(Signature(Rootfs(store, next)) == after);
}

TEST_CASE("a chain of three copy-mode commits flattens to what the last step saw",
          "[cache][snapshot][root]") {
  BT_REQUIRE_ROOT();
  Root root;
  SnapshotStore store = *SnapshotStore::Open(root.path, SnapshotterKind::kCopy);
  const std::string s1 = *store.Prepare(std::nullopt);
  std::string fs = Rootfs(store, s1);
  REQUIRE((Write(fs + "/a", "a") && Write(fs + "/b", "b1") &&
           ::chmod((fs + "/b").c_str(), 0644) == 0 && ::mkdir((fs + "/dir").c_str(), 0755) == 0 &&
           Write(fs + "/dir/x", "x")));
  REQUIRE(store.Commit(s1).has_value());

  const std::string s2 = *store.Prepare(s1);
  fs = Rootfs(store, s2);
  REQUIRE((::unlink((fs + "/a").c_str()) == 0 && Write(fs + "/b", "b2") &&
           Write(fs + "/dir/y", "y")));
  REQUIRE(store.Commit(s2).has_value());
  CHECK(Changes(store.DiffPath(s2)) ==
        std::vector<std::string>{"D a", "W b", "W dir", "W dir/y"});

  const std::string s3 = *store.Prepare(s2);
  fs = Rootfs(store, s3);
  CHECK(ReadFile(fs + "/b") == "b2");
  CHECK(ReadFile(fs + "/dir/x") == "x");
  CHECK_FALSE(Exists(fs + "/a"));
  REQUIRE((RemoveAll(fs + "/dir") && Write(fs + "/c", "c") &&
           ::chmod((fs + "/b").c_str(), 0600) == 0));
  const std::vector<std::string> last = Signature(fs);
  REQUIRE(store.Commit(s3).has_value());
  CHECK(Changes(store.DiffPath(s3)) == std::vector<std::string>{"W b", "W c", "D dir"});
  CHECK(*store.Chain(s3) == std::vector<std::string>{s3, s2, s1});

  const std::string s4 = *store.Prepare(s3);
  CHECK(Signature(Rootfs(store, s4)) == last);
  CHECK(last.size() == 2);
}

TEST_CASE("a diff written directly commits as written under the copy snapshotter",
          "[cache][snapshot]") {
  Root root;
  SnapshotStore store = *SnapshotStore::Open(root.path, SnapshotterKind::kCopy);
  SECTION("prepared for a diff: no rootfs is made") {
    const std::string id = *store.Prepare(std::nullopt, PrepareFor::kDiff);
    CHECK_FALSE(Exists(store.RootfsPath(id)));
    CHECK(store.RootfsMount(id).error().code == ErrorCode::kFailedPrecondition);
    REQUIRE(Write(store.DiffPath(id) + "/layer-file", "l"));
    REQUIRE(store.Commit(id).has_value());
    CHECK(Changes(store.DiffPath(id)) == std::vector<std::string>{"W layer-file"});
  }
  SECTION("prepared for a rootfs left unchanged (a layer applied with the default)") {
    const std::string id = *store.Prepare(std::nullopt);
    REQUIRE(Write(store.DiffPath(id) + "/layer-file", "l"));
    REQUIRE(store.Commit(id).has_value());
    CHECK(Changes(store.DiffPath(id)) == std::vector<std::string>{"W layer-file"});
  }
  SECTION("both written: refused, and the snapshot stays active and intact") {
    const std::string id = *store.Prepare(std::nullopt);
    REQUIRE(Write(store.DiffPath(id) + "/layer-file", "l"));
    REQUIRE(Write(store.RootfsPath(id) + "/step-file", "s"));
    const Result<void> committed = store.Commit(id);
    REQUIRE_FALSE(committed.has_value());
    CHECK(committed.error().code == ErrorCode::kFailedPrecondition);
    CHECK_FALSE(store.IsCommitted(id));
    CHECK(ReadFile(store.RootfsPath(id) + "/step-file") == "s");
    CHECK_FALSE(Exists(root.path + "/snapshots/" + id + "/diff.new"));
    CHECK_FALSE(Exists(root.path + "/snapshots/" + id + "/lower"));
  }
}

TEST_CASE("an active snapshot is what its directory says, whatever kind the store has",
          "[cache][snapshot]") {
  Root root;
  SnapshotStore copy = *SnapshotStore::Open(root.path, SnapshotterKind::kCopy);
  SnapshotStore overlay = *SnapshotStore::Open(root.path, SnapshotterKind::kOverlay);
  const std::string copied = *copy.Prepare(std::nullopt);
  const std::string layered = *overlay.Prepare(std::nullopt);
  CHECK(Rootfs(overlay, copied) == copy.RootfsPath(copied));
  const Result<RootfsSpec> spec = copy.RootfsMount(layered);
  REQUIRE(spec.has_value());
  REQUIRE(std::holds_alternative<OverlaySpec>(*spec));
  CHECK(std::get<OverlaySpec>(*spec).upperdir == layered + "/diff");
  REQUIRE(Write(copy.RootfsPath(copied) + "/f", "x"));
  REQUIRE(overlay.Commit(copied).has_value());
  CHECK(Changes(overlay.DiffPath(copied)) == std::vector<std::string>{"W f"});
}

TEST_CASE("removing an active copy snapshot copes with what a step left in its rootfs",
          "[cache][snapshot]") {
  Root root;
  SnapshotStore store = *SnapshotStore::Open(root.path, SnapshotterKind::kCopy);
  const std::string id = *store.Prepare(std::nullopt);
  const std::string fs = store.RootfsPath(id);
  REQUIRE(::mkdir((fs + "/locked").c_str(), 0755) == 0);
  REQUIRE(Write(fs + "/locked/file", "x"));
  REQUIRE(::chmod((fs + "/locked").c_str(), 0) == 0);
  REQUIRE(::symlink("/etc", (fs + "/etc").c_str()) == 0);
  REQUIRE(store.Remove(id).has_value());
  CHECK(store.List()->empty());
  CHECK(::access("/etc/passwd", F_OK) == 0);
}

std::string MountInfo() { return ReadFile("/proc/self/mountinfo"); }

TEST_CASE("the overlayfs probe answers without leaving a mount or a file behind",
          "[cache][snapshot]") {
  Root root;
  const std::string before = MountInfo();
  const Result<OverlayfsProbe> probe = ProbeOverlayfs(root.path);
  REQUIRE(probe.has_value());
  CHECK(probe->works == probe->reason.empty());
  INFO("overlayfs here: " << (probe->works ? "works" : probe->reason));
  CHECK(MountInfo() == before);
  CHECK(Signature(root.path).empty());
}

TEST_CASE("in a chroot the overlayfs probe says no instead of mounting",
          "[cache][snapshot][root]") {
  BT_REQUIRE_ROOT();
  Root jail;
  REQUIRE(::mkdir((jail.path + "/proc").c_str(), 0755) == 0);
  REQUIRE(::mkdir((jail.path + "/scratch").c_str(), 0755) == 0);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    // A private namespace only to give the chroot a /proc without touching the host's.
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(10);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(11);
    if (::mount("/proc", (jail.path + "/proc").c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      ::_exit(12);
    }
    if (::chroot(jail.path.c_str()) != 0 || ::chdir("/") != 0) ::_exit(13);
    const Result<OverlayfsProbe> probe = ProbeOverlayfs("/scratch");
    if (!probe.has_value()) ::_exit(14);
    const std::string answer = (probe->works ? "works " : "no ") + probe->reason;
    (void)!::write(fds[1], answer.data(), answer.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string answer;
  char buf[256];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof(buf))) > 0;) answer.append(buf, n);
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 10 || WEXITSTATUS(status) == 11) {
    WARN("SKIPPED: cannot make a private mount namespace here (exit " << WEXITSTATUS(status)
                                                                      << ")");
    return;
  }
  REQUIRE(WEXITSTATUS(status) == 0);
  INFO("probe in the chroot: " << answer);
  CHECK(answer.rfind("no ", 0) == 0);
  CHECK(answer.find("private") != std::string::npos);
  CHECK(Signature(jail.path + "/scratch").empty());
}

TEST_CASE("the copy snapshotter commits the same diff overlayfs leaves for the same step",
          "[cache][snapshot][root]") {
  BT_REQUIRE_ROOT();
  Root root;
  const Result<OverlayfsProbe> probe = ProbeOverlayfs(root.path);
  REQUIRE(probe.has_value());
  if (!probe->works) {
    WARN("SKIPPED: overlayfs does not work here: " << probe->reason);
    return;
  }
  SnapshotStore copy = *SnapshotStore::Open(root.path, SnapshotterKind::kCopy);
  SnapshotStore overlay = *SnapshotStore::Open(root.path, SnapshotterKind::kOverlay);
  const std::string base = *copy.Prepare(std::nullopt);
  REQUIRE(PopulateBase(Rootfs(copy, base)));
  REQUIRE(copy.Commit(base).has_value());

  const std::string by_overlay = *overlay.Prepare(base);
  const OverlaySpec spec = *overlay.MountSpec(by_overlay);
  const std::string target = root.path + "/mnt";
  REQUIRE(::mkdir(target.c_str(), 0755) == 0);
  const pid_t child = ::fork();
  if (child == 0) {
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(10);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(11);
    if (::chdir(spec.base.c_str()) != 0) ::_exit(12);
    std::string lower;
    for (const std::string& l : spec.lowerdirs) lower += (lower.empty() ? "" : ":") + l;
    const std::string options =
        "lowerdir=" + lower + ",upperdir=" + spec.upperdir + ",workdir=" + spec.workdir;
    if (::mount("overlay", target.c_str(), "overlay", 0, options.c_str()) != 0) ::_exit(13);
    ::_exit(Step(target) ? 0 : 14);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(overlay.Commit(by_overlay).has_value());

  const std::string by_copy = *copy.Prepare(base);
  REQUIRE(Step(Rootfs(copy, by_copy)));
  REQUIRE(copy.Commit(by_copy).has_value());

  std::vector<std::string> from_overlay = Changes(overlay.DiffPath(by_overlay));
  const std::vector<std::string> from_copy = Changes(copy.DiffPath(by_copy));
  CHECK(from_copy == std::vector<std::string>{"W added", "W etc", "W etc/conf", "W etc/link",
                                              "W etc/mode", "D gone", "D olddir", "W wasdir",
                                              "W wasfile", "W wasfile/inner"});
  // overlayfs makes wasfile opaque because the directory replaced a whiteout; over a lower
  // regular file a plain directory reads the same. Every other line must match.
  for (std::string& line : from_overlay) {
    if (line == "O wasfile") line = "W wasfile";
  }
  CHECK(from_overlay == from_copy);
}

}  // namespace
}  // namespace bt::cache
