// Expectations from Go's path package documentation and tests (path_test.go cleantests,
// jointests) and BuildKit's util/system path_test.go (TestNormalizeWorkdir).
#include "frontend/lowering/container_path.h"

#include <catch2/catch.hpp>

namespace bt::frontend {
namespace {

TEST_CASE("CleanPath cleans lexically as Go's path.Clean does", "[frontend][path]") {
  const std::pair<const char*, const char*> cases[] = {
      {"", "."},           {"abc", "abc"},        {"abc/def", "abc/def"},   {"a/b/c", "a/b/c"},
      {".", "."},          {"..", ".."},          {"../..", "../.."},       {"../../abc", "../../abc"},
      {"/abc", "/abc"},    {"/", "/"},            {"abc/", "abc"},          {"abc/def/", "abc/def"},
      {"/abc/", "/abc"},   {"//abc", "/abc"},     {"abc//def//ghi", "abc/def/ghi"},
      {"abc/./def", "abc/def"},                   {"/./abc/def", "/abc/def"},
      {"abc/.", "abc"},    {"abc/def/ghi/../jkl", "abc/def/jkl"},
      {"abc/def/../ghi/../jkl", "abc/jkl"},       {"abc/def/..", "abc"},
      {"abc/def/../..", "."},                     {"/abc/def/../..", "/"},
      {"abc/def/../../..", ".."},                 {"/abc/def/../../..", "/"},
      {"abc/def/../../../ghi/jkl/../../../mno", "../../mno"},
  };
  for (const auto& [in, want] : cases) {
    INFO(in);
    CHECK(CleanPath(in) == want);
  }
}

TEST_CASE("JoinPath joins non-empty elements and cleans", "[frontend][path]") {
  CHECK(JoinPath("", "") == "");
  CHECK(JoinPath("a", "") == "a");
  CHECK(JoinPath("", "b") == "b");
  CHECK(JoinPath("a", "b") == "a/b");
  CHECK(JoinPath("a/", "b") == "a/b");
  CHECK(JoinPath("/", "a") == "/a");
  CHECK(JoinPath("/a", "../..") == "/");
}

TEST_CASE("NormalizeWorkdir joins relative paths to the current directory", "[frontend][path]") {
  CHECK(NormalizeWorkdir("", "") == "/");
  CHECK(NormalizeWorkdir("", "foo") == "/foo");
  CHECK(NormalizeWorkdir("", "/foo") == "/foo");
  CHECK(NormalizeWorkdir("/foo", "bar") == "/foo/bar");
  CHECK(NormalizeWorkdir("/foo", "/bar") == "/bar");
  CHECK(NormalizeWorkdir("/foo", "bar/") == "/foo/bar");
  CHECK(NormalizeWorkdir("/foo", "..") == "/");
  CHECK(NormalizeWorkdir("foo", "bar") == "/foo/bar");
}

TEST_CASE("NormalizePath keeps a trailing slash or slash-dot when asked", "[frontend][path]") {
  CHECK(NormalizePath("/app", "dir/", TrailingSlash::kKeep) == "/app/dir/");
  CHECK(NormalizePath("/app", ".", TrailingSlash::kKeep) == "/app");
  CHECK(NormalizePath("/app", "./", TrailingSlash::kKeep) == "/app/");
  CHECK(NormalizePath("/app", "x/.", TrailingSlash::kKeep) == "/app/x/.");
  // An absolute path is not cleaned, so its "/." suffix is appended again (system.NormalizePath).
  CHECK(NormalizePath("/", "/.", TrailingSlash::kKeep) == "/./.");
  CHECK(NormalizePath("/x", "/a/../b", TrailingSlash::kDrop) == "/a/../b");
  CHECK(NormalizePath("/app", "dir/", TrailingSlash::kDrop) == "/app/dir");
}

}  // namespace
}  // namespace bt::frontend
