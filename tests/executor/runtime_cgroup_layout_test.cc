// ParseCgroupLayout on the two layouts buildtool meets: Debian 12 VMs with the hybrid
// layout (v1 controllers, cgroup2 at /sys/fs/cgroup/unified) and unified hosts.
#include <catch2/catch.hpp>

#include "executor/runtime/cgroup_layout.h"

namespace bt::executor::runtime {
namespace {

constexpr const char* kHybridMountinfo =
    "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n";
constexpr const char* kHybridCgroup =
    "9:name=systemd:/user.slice\n"
    "8:pids:/build/a\n"
    "1:cpu,cpuacct:/\n"
    "0::/user.slice\n";

TEST_CASE("the hybrid layout lists each v1 hierarchy with its controllers and our cgroup",
          "[executor][runtime_cgroup_layout]") {
  Result<CgroupLayout> layout = ParseCgroupLayout(kHybridMountinfo, kHybridCgroup);
  REQUIRE(layout.has_value());
  CHECK_FALSE(layout->unified);
  CHECK(layout->v2_mount_point == "/sys/fs/cgroup/unified");
  CHECK(layout->v2_own_path == "/user.slice");
  REQUIRE(layout->v1.size() == 3);
  CHECK(layout->v1[0].controllers == std::vector<std::string>{"cpu", "cpuacct"});
  CHECK(layout->v1[2].controllers == std::vector<std::string>{"name=systemd"});
  const CgroupHierarchy* pids = layout->FindV1("pids");
  REQUIRE(pids != nullptr);
  CHECK(pids->own_path == "/build/a");
  CHECK(HierarchyDirectory(*pids, pids->own_path) == "/sys/fs/cgroup/pids/build/a");
  CHECK(HierarchyDirectory(*layout->FindV1("cpu"), "/") == "/sys/fs/cgroup/cpu,cpuacct");
  CHECK(layout->FindV1("memory") == nullptr);
}

TEST_CASE("a hierarchy mounted twice (/sys bound into a chroot) is listed once, at /sys/fs/cgroup",
          "[executor][runtime_cgroup_layout]") {
  // The chroot's bind comes first in this mountinfo: the canonical mount still wins.
  const std::string mountinfo =
      std::string("22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n") +
      "90 22 0:36 / /srv/chroot/sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n" + kHybridMountinfo +
      "91 22 0:29 / /srv/chroot/sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n";
  Result<CgroupLayout> layout = ParseCgroupLayout(mountinfo, kHybridCgroup);
  REQUIRE(layout.has_value());
  REQUIRE(layout->v1.size() == 3);
  const CgroupHierarchy* pids = layout->FindV1("pids");
  REQUIRE(pids != nullptr);
  CHECK(pids->mount_point == "/sys/fs/cgroup/pids");
  CHECK(pids->own_path == "/build/a");
  CHECK(layout->FindV1("cpu")->mount_point == "/sys/fs/cgroup/cpu,cpuacct");
}

TEST_CASE("a unified host has cgroup2 at /sys/fs/cgroup and no v1 hierarchy",
          "[executor][runtime_cgroup_layout]") {
  Result<CgroupLayout> layout = ParseCgroupLayout(
      "22 1 254:0 / / rw - ext4 /dev/vda rw\n"
      "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n",
      "0::/system.slice/ci.service\n");
  REQUIRE(layout.has_value());
  CHECK(layout->unified);
  CHECK(layout->v1.empty());
  CHECK(layout->v2_own_path == "/system.slice/ci.service");
}

TEST_CASE("a mount whose root is not the hierarchy's root maps only paths below it",
          "[executor][runtime_cgroup_layout]") {
  CgroupHierarchy h;
  h.mount_point = "/sys/fs/cgroup/pids";
  h.root = "/docker/abc";
  CHECK(HierarchyDirectory(h, "/docker/abc/x") == "/sys/fs/cgroup/pids/x");
  CHECK(HierarchyDirectory(h, "/docker/abcd") == "");
  CHECK(HierarchyDirectory(h, "/other") == "");
}

TEST_CASE("malformed cgroup files are data errors", "[executor][runtime_cgroup_layout]") {
  CHECK_FALSE(ParseCgroupLayout("garbage\n", "").has_value());
  CHECK_FALSE(ParseCgroupLayout("", "no colons\n").has_value());
}

}  // namespace
}  // namespace bt::executor::runtime
