// CloneDiff: the clone has the same entries and metadata, and shares file data by inode.
#include "cache/snapshot/diff_clone.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"

namespace bt::cache {
namespace {

struct stat Lstat(const std::string& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st;
}

TEST_CASE("a cloned diff shares its files and keeps directory metadata", "[cache][diff_clone]") {
  TempDir dir = *TempDir::Create("", "bt-clone-");
  const std::string src = dir.path() + "/src", dest = dir.path() + "/dest";
  REQUIRE(::mkdir(src.c_str(), 0755) == 0);
  REQUIRE(::mkdir(dest.c_str(), 0700) == 0);
  REQUIRE(::mkdir((src + "/d").c_str(), 0750) == 0);
  std::ofstream(src + "/d/f") << "data";
  REQUIRE(::symlink("/nowhere", (src + "/d/l").c_str()) == 0);
  REQUIRE(::mkfifo((src + "/p").c_str(), 0600) == 0);
  const bool xattr = ::setxattr((src + "/d").c_str(), "user.k", "v", 1, 0) == 0;
  const struct timespec times[2] = {{5, 0}, {1234567, 89}};
  REQUIRE(::utimensat(AT_FDCWD, (src + "/d").c_str(), times, 0) == 0);

  REQUIRE(CloneDiff(src, dest).has_value());

  CHECK(Lstat(dest + "/d/f").st_ino == Lstat(src + "/d/f").st_ino);
  CHECK(Lstat(dest + "/d/l").st_ino == Lstat(src + "/d/l").st_ino);
  CHECK(S_ISFIFO(Lstat(dest + "/p").st_mode));
  CHECK((Lstat(dest + "/d").st_mode & 07777) == 0750);
  CHECK(Lstat(dest + "/d").st_mtim.tv_sec == 1234567);
  CHECK(Lstat(dest + "/d").st_mtim.tv_nsec == 89);
  CHECK((Lstat(dest).st_mode & 07777) == 0755);  // the root takes the source root's mode
  if (xattr) {
    char value[8] = {};
    CHECK(::getxattr((dest + "/d").c_str(), "user.k", value, sizeof value) == 1);
    CHECK(std::string(value) == "v");
  }
  char target[32] = {};
  REQUIRE(::readlink((dest + "/d/l").c_str(), target, sizeof target) > 0);
  CHECK(std::string(target) == "/nowhere");
}

}  // namespace
}  // namespace bt::cache
