// ScanFollowingSymlinks: a scan restricted to the paths COPY names still sees what those paths
// reach through symlinks, and scans no more than that.
#include "solver/local_scan.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"

namespace bt::solver {
namespace {

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

struct Context {
  TempDir dir = *TempDir::Create("", "bt-local-scan-");
  Context() {
    REQUIRE(::mkdir((dir.path() + "/real").c_str(), 0755) == 0);
    REQUIRE(::mkdir((dir.path() + "/other").c_str(), 0755) == 0);
    Write(dir.path() + "/real/file", "behind a directory link");
    Write(dir.path() + "/target.txt", "behind a file link");
    Write(dir.path() + "/other/big", "never read");
    REQUIRE(::symlink("real", (dir.path() + "/dirlink").c_str()) == 0);
    REQUIRE(::symlink("/target.txt", (dir.path() + "/filelink").c_str()) == 0);  // context root
  }
};

TEST_CASE("a selection through a symlinked directory brings its target into the scan",
          "[solver][scan]") {
  Context c;
  LocalScanRequest request;
  request.dir = c.dir.path();
  request.include_patterns = {"dirlink/file"};
  request.selections = {InputSelection{0, "/dirlink/file", false}};
  Result<LocalScanResult> r = ScanFollowingSymlinks(request);
  REQUIRE(r.has_value());
  CHECK(r->scans == 2);
  CHECK(r->tree.ChecksumOf("/dirlink/file").has_value());
  CHECK(r->tree.Find("real/file") != nullptr);
  CHECK(r->tree.Find("other/big") == nullptr);  // still only what the build reads
}

TEST_CASE("a followed final symlink brings its target into the scan, an unfollowed one does not",
          "[solver][scan]") {
  Context c;
  LocalScanRequest request;
  request.dir = c.dir.path();
  request.include_patterns = {"filelink"};
  request.selections = {InputSelection{0, "/filelink", true}};
  Result<LocalScanResult> followed = ScanFollowingSymlinks(request);
  REQUIRE(followed.has_value());
  CHECK(followed->scans == 2);
  const Result<cache::Checksum128> via_link =
      followed->tree.ChecksumOf("/filelink", cache::ContextTree::FinalSymlink::kFollow);
  const Result<cache::Checksum128> target = followed->tree.ChecksumOf("/target.txt");
  REQUIRE(via_link.has_value());
  REQUIRE(target.has_value());
  CHECK(*via_link == *target);

  request.selections = {InputSelection{0, "/filelink", false}};
  Result<LocalScanResult> as_link = ScanFollowingSymlinks(request);
  REQUIRE(as_link.has_value());
  CHECK(as_link->scans == 1);
  CHECK(as_link->tree.Find("target.txt") == nullptr);
}

TEST_CASE("a path that is really missing costs one scan, and a glob resolves its directory",
          "[solver][scan]") {
  Context c;
  LocalScanRequest request;
  request.dir = c.dir.path();
  request.include_patterns = {"missing.txt", "dirlink/*"};
  request.selections = {InputSelection{0, "/missing.txt", false},
                        InputSelection{1, "/dirlink/*", false}};
  Result<LocalScanResult> r = ScanFollowingSymlinks(request);
  REQUIRE(r.has_value());
  CHECK(r->scans == 2);  // the second for real/, which dirlink/* reaches
  CHECK(r->tree.ChecksumOf("/missing.txt").error().code == ErrorCode::kNotFound);
  CHECK(r->tree.ChecksumOf("/dirlink/*").has_value());
}

TEST_CASE("a symlink loop ends in an error, not an endless rescan", "[solver][scan]") {
  Context c;
  REQUIRE(::symlink("b", (c.dir.path() + "/a").c_str()) == 0);
  REQUIRE(::symlink("a", (c.dir.path() + "/b").c_str()) == 0);
  LocalScanRequest request;
  request.dir = c.dir.path();
  request.include_patterns = {"a"};
  request.selections = {InputSelection{0, "/a", true}};
  Result<LocalScanResult> r = ScanFollowingSymlinks(request);
  REQUIRE(r.has_value());  // the loop is the key's business (ChecksumOf says so), not the scan's
  CHECK(r->tree.ChecksumOf("/a", cache::ContextTree::FinalSymlink::kFollow).error().code ==
        ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace bt::solver
