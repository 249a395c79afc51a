// PortableContextDigests: SHA-256 digests of what a build selects from its context, the same
// on any machine and for any copy of the context, checked against the documented encoding
// computed here by hand.
#include "cache/portable_context_digest.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"

namespace bt::cache {
namespace {

struct Context {
  TempDir dir = *TempDir::Create("", "bt-portable-");
  void Write(const std::string& rel, const std::string& data) const {
    const std::size_t slash = rel.rfind('/');
    if (slash != std::string::npos) ::mkdir((dir.path() + "/" + rel.substr(0, slash)).c_str(), 0755);
    std::ofstream(dir.path() + "/" + rel, std::ios::trunc) << data;
    ::chmod((dir.path() + "/" + rel).c_str(), 0644);
  }
  ContextTree Scan() const {
    ContextScanner scanner({});
    Result<ContextTree> tree = scanner.Scan(dir.path());
    REQUIRE(tree.has_value());
    return std::move(*tree);
  }
};

void Le(std::string* out, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

TEST_CASE("a file's portable digest is SHA-256 of its header and its content's SHA-256", "[cache][portable]") {
  Context c;
  c.Write("a.txt", "hello\n");
  const ContextTree tree = c.Scan();
  PortableContextDigests digests(tree, c.dir.path());
  struct stat st;
  REQUIRE(::stat((c.dir.path() + "/a.txt").c_str(), &st) == 0);
  // 'F', u32 mode, u32 uid, u32 gid, u64 size, u32 rdev major, u32 rdev minor, u32 link length.
  std::string expected = "F";
  Le(&expected, st.st_mode & 07777, 4);
  Le(&expected, st.st_uid, 4);
  Le(&expected, st.st_gid, 4);
  Le(&expected, 6, 8);
  Le(&expected, 0, 4);
  Le(&expected, 0, 4);
  Le(&expected, 0, 4);
  const oci::Digest content = oci::Digest::Of("hello\n");
  expected.append(reinterpret_cast<const char*>(content.bytes().data()), 32);
  Result<oci::Digest> got = digests.DigestOf("a.txt");
  REQUIRE(got.has_value());
  CHECK(*got == oci::Digest::Of(expected));
}

TEST_CASE("two copies of a context have the same portable digests, an edit changes only what it touches",
          "[cache][portable]") {
  Context a, b;
  for (const Context* c : {&a, &b}) {
    c->Write("src/main.go", "package main\n");
    c->Write("src/util.go", "package util\n");
    c->Write("README", "read me\n");
  }
  ::sleep(0);  // the copies differ in inode numbers and times anyway
  const ContextTree ta = a.Scan(), tb = b.Scan();
  PortableContextDigests da(ta, a.dir.path()), db(tb, b.dir.path());
  for (const char* selector : {"/", "src", "src/main.go", "src/*.go", "*"}) {
    INFO(selector);
    Result<oci::Digest> x = da.DigestOf(selector), y = db.DigestOf(selector);
    REQUIRE(x.has_value());
    REQUIRE(y.has_value());
    CHECK(*x == *y);
  }
  b.Write("README", "changed\n");
  const ContextTree tb2 = b.Scan();
  PortableContextDigests db2(tb2, b.dir.path());
  CHECK(*db2.DigestOf("src/*.go") == *da.DigestOf("src/*.go"));
  CHECK(*db2.DigestOf("/") != *da.DigestOf("/"));
  CHECK(*db2.DigestOf("README") != *da.DigestOf("README"));
  // Each file is read once, however often it is selected.
  CHECK(da.bytes_read() == 13 + 13 + 8);
}

TEST_CASE("portable digests follow links as the checksums do, and notice a context that changed",
          "[cache][portable]") {
  Context c;
  c.Write("real/f.txt", "data\n");
  REQUIRE(::symlink("real/f.txt", (c.dir.path() + "/link").c_str()) == 0);
  const ContextTree tree = c.Scan();
  PortableContextDigests d(tree, c.dir.path());
  const oci::Digest target = *d.DigestOf("real/f.txt");
  CHECK(*d.DigestOf("link", ContextTree::FinalSymlink::kFollow) == target);
  CHECK(*d.DigestOf("link", ContextTree::FinalSymlink::kAsLink) != target);
  CHECK(d.DigestOf("nothing/here").error().code == ErrorCode::kNotFound);
  // Grown after the scan: the file is not what the key would describe.
  Context e;
  e.Write("x", "short");
  const ContextTree scanned = e.Scan();
  e.Write("x", "much longer now");
  PortableContextDigests late(scanned, e.dir.path());
  Result<oci::Digest> r = late.DigestOf("x");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kFailedPrecondition);
}

TEST_CASE("a context nested 1500 deep is digested (no recursion per level)", "[cache][portable]") {
  Context c;
  std::string path = c.dir.path();
  for (int i = 0; i < 1500; ++i) {
    path += "/d";
    REQUIRE(::mkdir(path.c_str(), 0755) == 0);
  }
  std::ofstream(path + "/leaf") << "x";
  ContextScanner scanner({});
  Result<ContextTree> tree = scanner.Scan(c.dir.path());
  REQUIRE(tree.has_value());
  PortableContextDigests d(*tree, c.dir.path());
  CHECK(d.DigestOf("/").has_value());
}

}  // namespace
}  // namespace bt::cache
