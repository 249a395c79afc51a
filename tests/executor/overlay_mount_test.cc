// MountOverlay on a real snapshot chain, inside a private mount namespace of a child process
// (so nothing leaks to the host): the merged view, a writable upper, and a deep chain whose
// relative lowerdirs stay under the page limit. Skips loudly where mounts are not possible.
#include "executor/mount/overlay_mount.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"

namespace bt::executor {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `body` in a child with its own mount namespace; 0 ok, 77 skipped, other: failed step.
template <typename Body>
int InChild(Body body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!EnterPrivateMountNamespace()) ::_exit(77);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST_CASE("a snapshot chain mounts as one tree, read-only or with a new upper",
          "[executor][mount]") {
  TempDir dir = *TempDir::Create("", "bt-mount-");
  cache::SnapshotStore store = *cache::SnapshotStore::Open(dir.path());
  std::optional<std::string> parent;
  // 130 layers: layer i adds file f<i>; layer 1 also overwrites f0.
  for (int i = 0; i < 130; ++i) {
    const std::string id = *store.Prepare(parent, cache::PrepareFor::kDiff);
    std::ofstream(store.DiffPath(id) + "/f" + std::to_string(i)) << "layer " << i;
    if (i == 1) std::ofstream(store.DiffPath(id) + "/f0") << "overwritten";
    REQUIRE(store.Commit(id).has_value());
    parent = id;
  }
  const std::string active = *store.Prepare(parent);
  const int rc = InChild([&]() -> int {
    Result<cache::OverlaySpec> ro_spec = store.MountSpec(*parent);
    if (!ro_spec) return 1;
    Result<MountedTree> ro = MountOverlay(*ro_spec, dir.path() + "/ro");
    if (!ro) {
      std::fprintf(stderr, "mount: %s\n", ro.error().message.c_str());
      return ro.error().code == ErrorCode::kPermissionDenied ? 77 : 2;
    }
    if (ReadFile(ro->path() + "/f0") != "overwritten") return 3;
    if (ReadFile(ro->path() + "/f129") != "layer 129") return 4;
    Result<cache::OverlaySpec> rw_spec = store.MountSpec(active);
    if (!rw_spec) return 5;
    Result<MountedTree> rw = MountOverlay(*rw_spec, dir.path() + "/rw");
    if (!rw) return 6;
    std::ofstream(rw->path() + "/new") << "upper";
    if (::unlink((rw->path() + "/f5").c_str()) != 0) return 7;
    if (!rw->Unmount()) return 8;
    // The change landed in the active snapshot's diff: a new file and a whiteout.
    if (ReadFile(store.DiffPath(active) + "/new") != "upper") return 9;
    struct stat st;
    if (::lstat((store.DiffPath(active) + "/f5").c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) {
      return 10;
    }
    return 0;
  });
  if (rc == 77) {
    WARN("skipped: no private mount namespace or overlay mounts here (a chroot or no root)");
    return;
  }
  CHECK(rc == 0);
}

TEST_CASE("an overlay needs lower layers", "[executor][mount]") {
  cache::OverlaySpec spec;
  spec.base = "/";
  CHECK(MountOverlay(spec, "/nonexistent").error().code == ErrorCode::kInvalidArgument);
  spec.lowerdirs = {"a/diff"};
  CHECK(MountOverlay(spec, "/nonexistent").error().code == ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace bt::executor
