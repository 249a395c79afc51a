// A build context's .dockerignore: what it excludes does not exist for COPY and ADD, as
// BuildKit never transfers it (SECURITY.md: the context cases), whether named directly,
// matched by a wildcard, found while copying a directory, or reached through a symlink.
#include <catch2/catch.hpp>
#include <string>

#include "tests/executor/file_tree_fixture.h"

namespace bt::executor::test {
namespace {

TEST_CASE("paths the .dockerignore excludes are invisible to copies", "[executor][copy][excludes]") {
  Trees t;
  MakeDir(t.ctx("app"));
  WriteFile(t.ctx("app/main.go"), "package main");
  WriteFile(t.ctx("app/.env"), "PASSWORD=hunter2");
  MakeDir(t.ctx("secrets"));
  WriteFile(t.ctx("secrets/key"), "PRIVATE KEY");
  WriteFile(t.ctx("secrets/public.pem"), "PUBLIC");
  MakeSymlink(t.ctx("key-link"), "secrets/key");
  WriteFile(t.ctx("notes.txt"), "notes");
  const cache::PathPatterns excludes =
      *cache::PathPatterns::Parse({"**/.env", "secrets", "!secrets/public.pem"});
  const auto copy = [&](const std::string& src, const std::string& dest) {
    return t.Apply({ContextCopy(src, dest)}, {}, SourceOwners::kRoot, &excludes);
  };

  SECTION("copying the whole context leaves them out, keeping exceptions") {
    REQUIRE(copy("/", "/out/").has_value());
    CHECK(ReadFile(t.dest("out/app/main.go")) == "package main");
    CHECK_FALSE(Exists(t.dest("out/app/.env")));
    CHECK_FALSE(Exists(t.dest("out/secrets/key")));
    CHECK(ReadFile(t.dest("out/secrets/public.pem")) == "PUBLIC");
    CHECK(ReadFile(t.dest("out/notes.txt")) == "notes");
  }
  SECTION("naming an excluded file is not found") {
    const Result<void> r = copy("/secrets/key", "/k");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kNotFound);
    CHECK_FALSE(Exists(t.dest("k")));
  }
  SECTION("a symlink to an excluded file does not reach it") {
    REQUIRE_FALSE(copy("/key-link", "/k").has_value());
    CHECK(FilesContaining(t.dest(), "PRIVATE KEY").empty());
  }
  SECTION("wildcards do not match excluded paths") {
    REQUIRE(copy("/app/*", "/app/").has_value());
    CHECK(Exists(t.dest("app/main.go")));
    CHECK_FALSE(Exists(t.dest("app/.env")));
    REQUIRE(copy("/secrets/*", "/s/").has_value());
    CHECK(Exists(t.dest("s/public.pem")));
    CHECK_FALSE(Exists(t.dest("s/key")));
  }
  SECTION("ADD of an excluded file is not found either") {
    CopySpec add = ContextCopy("/secrets/key", "/k");
    add.unpack_archive = true;
    REQUIRE_FALSE(t.Apply({add}, {}, SourceOwners::kRoot, &excludes).has_value());
    CHECK(FilesContaining(t.dest(), "PRIVATE KEY").empty());
  }
  SECTION("without excludes everything is there") {
    REQUIRE(t.Apply({ContextCopy("/", "/out/")}).has_value());
    CHECK(Exists(t.dest("out/secrets/key")));
  }
}

}  // namespace
}  // namespace bt::executor::test
