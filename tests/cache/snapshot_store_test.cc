// SnapshotStore: directories, commit markers, parent chains and overlay mount descriptions.
// The mount test runs overlayfs for real (root, in a child with its own mount namespace).
#include "cache/snapshot/snapshot_store.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

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

}  // namespace
}  // namespace bt::cache
