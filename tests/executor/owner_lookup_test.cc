// Tests for executor/fileop/owner_lookup.h, after BuildKit's ops/user_linux.go readUser and
// moby/sys/user's passwd/group parsing.
#include "executor/fileop/owner_lookup.h"

#include <catch2/catch.hpp>
#include <string>

#include "tests/executor/file_tree_fixture.h"

namespace bt::executor::test {
namespace {

Result<std::optional<UidGid>> Lookup(const Trees& t, Owner owner,
                                     UnknownOwnerName unknown = UnknownOwnerName::kRoot) {
  auto root = RootDir::Open(t.dest(), "test");
  REQUIRE(root.has_value());
  return ResolveOwner(owner, *root, unknown);
}

std::pair<uid_t, gid_t> Ids(const Result<std::optional<UidGid>>& r) {
  INFO((r.has_value() ? std::string() : r.error().message));
  REQUIRE(r.has_value());
  REQUIRE(r->has_value());
  return {(*r)->uid, (*r)->gid};
}

using P = std::pair<uid_t, gid_t>;

TEST_CASE("numeric owners: a uid alone is also the gid", "[executor][owner]") {
  Trees t;
  CHECK(Ids(Lookup(t, Owner{42u, std::nullopt})) == P{42, 42});
  CHECK(Ids(Lookup(t, Owner{1234u, 5678u})) == P{1234, 5678});
  auto root = RootDir::Open(t.dest(), "test");
  REQUIRE(root.has_value());
  auto none = ResolveOwner(std::nullopt, *root, UnknownOwnerName::kError);
  REQUIRE(none.has_value());
  CHECK_FALSE(none->has_value());
}

TEST_CASE("passwd and group parsing: first match, trimmed lines, group comments, bad numbers read 0",
          "[executor][owner]") {
  Trees t;
  WriteFile(t.dest("etc/passwd"),
            "\n  app:x:1000:1001::/home/app:/bin/sh  \napp:x:2000:2000::/:/bin/sh\nodd:x:abc:7\nshort:x\n");
  WriteFile(t.dest("etc/group"), "#staff:x:1:\nstaff:x:50:app\n");
  CHECK(Ids(Lookup(t, Owner{std::string("app"), std::nullopt})) == P{1000, 1001});
  CHECK(Ids(Lookup(t, Owner{std::string("odd"), std::nullopt})) == P{0, 7});
  CHECK(Ids(Lookup(t, Owner{std::string("short"), std::nullopt})) == P{0, 0});
  CHECK(Ids(Lookup(t, Owner{std::string("app"), std::string("staff")})) == P{1000, 50});
  CHECK(Ids(Lookup(t, Owner{std::string("app"), 9u})) == P{1000, 9});
}

TEST_CASE("missing account files mean no entry", "[executor][owner]") {
  Trees t;
  CHECK(Ids(Lookup(t, Owner{std::string("app"), std::string("staff")})) == P{0, 0});
  auto strict = Lookup(t, Owner{std::string("app"), std::nullopt}, UnknownOwnerName::kError);
  REQUIRE_FALSE(strict.has_value());
  CHECK(strict.error().code == ErrorCode::kNotFound);
  WriteFile(t.dest("etc"), "not a directory");
  CHECK(Ids(Lookup(t, Owner{std::string("app"), std::nullopt})) == P{0, 0});
}

TEST_CASE("ids no uid_t holds are refused instead of wrapping", "[executor][owner]") {
  Trees t;
  WriteFile(t.dest("etc/passwd"), "big:x:4294967296:0::/:/bin/sh\nneg:x:-1:0::/:/bin/sh\n");
  for (const char* name : {"big", "neg"}) {
    INFO(name);
    auto r = Lookup(t, Owner{std::string(name), std::nullopt});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace bt::executor::test
