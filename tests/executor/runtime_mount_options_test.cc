// ParseMountOptions: which config.json mount options become mount attributes, propagation
// or filesystem data, and which are refused.
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include "executor/runtime/mount_options.h"

namespace bt::executor::runtime {
namespace {

Result<MountOptions> Parse(const std::string& type, std::vector<std::string> options) {
  Mount m;
  m.destination = "/x";
  m.type = type;
  m.source = type;
  m.options = std::move(options);
  return ParseMountOptions(m, "mounts[0]");
}

TEST_CASE("containerd's /dev/pts options split into attributes and devpts data",
          "[executor][runtime_mount_options]") {
  Result<MountOptions> o =
      Parse("devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
  REQUIRE(o.has_value());
  CHECK(o->attr_set == (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
  CHECK_FALSE(o->read_only());
  const std::vector<std::pair<std::string, std::string>> data = {
      {"newinstance", ""}, {"ptmxmode", "0666"}, {"mode", "0620"}, {"gid", "5"}};
  CHECK(o->data == data);
}

TEST_CASE("a later option overrides an earlier one, as with mount(8)",
          "[executor][runtime_mount_options]") {
  Result<MountOptions> o = Parse("bind", {"rbind", "ro", "rw", "nosuid", "suid"});
  REQUIRE(o.has_value());
  CHECK(o->recursive);
  CHECK_FALSE(o->read_only());
  CHECK((o->attr_clr & MOUNT_ATTR_RDONLY) != 0);
  CHECK((o->attr_clr & MOUNT_ATTR_NOSUID) != 0);
  CHECK((o->attr_set & MOUNT_ATTR_NOSUID) == 0);
}

TEST_CASE("atime options replace the whole atime field", "[executor][runtime_mount_options]") {
  Result<MountOptions> o = Parse("tmpfs", {"noatime", "strictatime"});
  REQUIRE(o.has_value());
  CHECK((o->attr_set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_STRICTATIME);
  CHECK((o->attr_clr & MOUNT_ATTR__ATIME) == MOUNT_ATTR__ATIME);
}

TEST_CASE("propagation options are kept apart", "[executor][runtime_mount_options]") {
  Result<MountOptions> o = Parse("bind", {"bind", "rslave"});
  REQUIRE(o.has_value());
  CHECK(o->propagation == (MS_SLAVE | MS_REC));
  CHECK_FALSE(o->recursive);
}

TEST_CASE("unknown, unimplemented or misplaced options are errors naming the option",
          "[executor][runtime_mount_options]") {
  SECTION("an unknown option") {
    Result<MountOptions> o = Parse("tmpfs", {"mode=755", "bogus"});
    REQUIRE_FALSE(o.has_value());
    CHECK(o.error().message.rfind("mounts[0].options[1]: \"bogus\"", 0) == 0);
  }
  SECTION("a superblock flag this runtime does not implement") {
    CHECK_FALSE(Parse("tmpfs", {"sync"}).has_value());
  }
  SECTION("id-mapped binds") { CHECK_FALSE(Parse("bind", {"rbind", "idmap"}).has_value()); }
  SECTION("filesystem data on a bind") {
    Result<MountOptions> o = Parse("bind", {"bind", "size=10m"});
    REQUIRE_FALSE(o.has_value());
    CHECK(o.error().message.find("takes no filesystem options") != std::string::npos);
  }
  SECTION("a tmpfs option on proc") { CHECK_FALSE(Parse("proc", {"size=10m"}).has_value()); }
  SECTION("a flag with a value and a value without one") {
    CHECK_FALSE(Parse("devpts", {"newinstance=1"}).has_value());
    CHECK_FALSE(Parse("tmpfs", {"size"}).has_value());
  }
  SECTION("a mode that is not a number") { CHECK_FALSE(Parse("tmpfs", {"mode=rwx"}).has_value()); }
}

}  // namespace
}  // namespace bt::executor::runtime
