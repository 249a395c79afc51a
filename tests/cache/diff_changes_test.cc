// ListChanges reads overlay-form diffs back: whiteouts (char 0:0), opaque directories
// (trusted.overlay.opaque=y) and written entries, parents first, names in byte order.
#include "cache/snapshot/diff_changes.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <catch2/catch.hpp>

namespace bt::cache {
namespace {

TEST_CASE("a diff lists deletions, opaque directories and writes in tar order",
          "[cache][diff][root]") {
  if (::geteuid() != 0) {
    WARN("skipped: whiteouts (mknod) and trusted xattrs need root");
    return;
  }
  char tmpl[] = "/tmp/bt-diff-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  ::mkdir((dir + "/b").c_str(), 0755);
  ::mkdir((dir + "/a").c_str(), 0755);
  std::ofstream(dir + "/a/file") << "x";
  ::symlink("/etc/passwd", (dir + "/a/link").c_str());
  REQUIRE(::mknod((dir + "/gone").c_str(), S_IFCHR | 0000, makedev(0, 0)) == 0);
  REQUIRE(::setxattr((dir + "/b").c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0);
  const Result<std::vector<Change>> changes = ListChanges(dir);
  std::system(("rm -rf '" + dir + "'").c_str());
  REQUIRE(changes.has_value());
  REQUIRE(changes->size() == 5);
  CHECK((*changes)[0].path == "a");
  CHECK((*changes)[1].path == "a/file");
  CHECK((*changes)[2].path == "a/link");
  CHECK(S_ISLNK((*changes)[2].st.st_mode));  // reported, not followed
  CHECK((*changes)[3].path == "b");
  CHECK((*changes)[3].kind == ChangeKind::kOpaqueDir);
  CHECK((*changes)[4].path == "gone");
  CHECK((*changes)[4].kind == ChangeKind::kDelete);
}

}  // namespace
}  // namespace bt::cache
