// ParseGitRef and ParseGitUrl against BuildKit's tests: dfgitutil/git_ref_test.go
// (TestParseGitRef, every case), gitutil/git_url_test.go (TestParseURL, every case) and
// sshutil/scpurl_test.go (TestIsImplicitSSHTransport, TestParseSCPStyleURL). The other cases
// pin Go's net/url and url.ParseQuery behaviour that decides the outcome; their expected
// values come from running BuildKit's logic over Go's net/url, with the host rules of
// Go 1.26 (BuildKit's go.mod) read from its url.parseHost.
#include "frontend/lowering/git_ref.h"

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bt::frontend {
namespace {

// GitRef's fields, each with a default, so that a case names only what it expects.
struct Want {
  std::string remote{};
  std::string short_name{};
  std::string ref{};
  std::string checksum{};
  std::string subdir{};
  bool indistinguishable_from_local = false;
  bool unencrypted_tcp = false;
  std::optional<bool> keep_git_dir{};
  std::optional<bool> submodules{};
  std::string mtime{};
  bool fetch_by_commit = false;
};

struct GitCase {
  const char* source;
  Want want;
};

void CheckGitRef(const char* source, const Want& want) {
  INFO("source: " << source);
  const GitRefParse parsed = ParseGitRef(source);
  CHECK_FALSE(parsed.error.has_value());
  REQUIRE(parsed.ref.has_value());
  const GitRef& got = *parsed.ref;
  CHECK(got.remote == want.remote);
  CHECK(got.short_name == want.short_name);
  CHECK(got.ref == want.ref);
  CHECK(got.checksum == want.checksum);
  CHECK(got.subdir == want.subdir);
  CHECK(got.indistinguishable_from_local == want.indistinguishable_from_local);
  CHECK(got.unencrypted_tcp == want.unencrypted_tcp);
  CHECK(got.keep_git_dir == want.keep_git_dir);
  CHECK(got.submodules == want.submodules);
  CHECK(got.mtime == want.mtime);
  CHECK(got.fetch_by_commit == want.fetch_by_commit);
}

void CheckNotGit(const char* source) {
  INFO("source: " << source);
  const GitRefParse parsed = ParseGitRef(source);
  CHECK_FALSE(parsed.ref.has_value());
  CHECK_FALSE(parsed.error.has_value());
}

void CheckGitError(const std::string& source, const char* message) {
  INFO("source: " << source);
  const GitRefParse parsed = ParseGitRef(source);
  CHECK_FALSE(parsed.ref.has_value());
  REQUIRE(parsed.error.has_value());
  CHECK(parsed.error->code == ErrorCode::kInvalidArgument);
  CHECK(parsed.error->message == message);
}

TEST_CASE("git sources split into remote, ref and subdir as in TestParseGitRef",
          "[frontend][git_ref]") {
  for (const GitCase& c : {
           GitCase{"https://example.com/foo.git",
                   {.remote = "https://example.com/foo.git", .short_name = "foo"}},
           GitCase{
               "https://example.com/foo.git#deadbeef",
               {.remote = "https://example.com/foo.git", .short_name = "foo", .ref = "deadbeef"}},
           GitCase{"https://example.com/foo.git#release/1.2",
                   {.remote = "https://example.com/foo.git",
                   .short_name = "foo",
                   .ref = "release/1.2"}},
           GitCase{
               "git://example.com/foo",
               {.remote = "git://example.com/foo", .short_name = "foo", .unencrypted_tcp = true}},
           GitCase{"github.com/moby/buildkit",
                   {.remote = "github.com/moby/buildkit",
                   .short_name = "buildkit",
                   .indistinguishable_from_local = true}},
           GitCase{"github.com/moby/buildkit#master",
                   {.remote = "github.com/moby/buildkit",
                   .short_name = "buildkit",
                   .ref = "master",
                   .indistinguishable_from_local = true}},
           GitCase{"https://github.com/moby/buildkit.git",
                   {.remote = "https://github.com/moby/buildkit.git", .short_name = "buildkit"}},
           GitCase{"https://foo:bar@github.com/moby/buildkit.git",
                   {.remote = "https://foo:bar@github.com/moby/buildkit.git",
                   .short_name = "buildkit"}},
           GitCase{"git@github.com:moby/buildkit",
                   {.remote = "git@github.com:moby/buildkit", .short_name = "buildkit"}},
           GitCase{"git@github.com:moby/buildkit.git",
                   {.remote = "git@github.com:moby/buildkit.git", .short_name = "buildkit"}},
           GitCase{"git@bitbucket.org:atlassianlabs/atlassian-docker.git",
                   {.remote = "git@bitbucket.org:atlassianlabs/atlassian-docker.git",
                   .short_name = "atlassian-docker"}},
           GitCase{"https://github.com/foo/bar.git#baz/qux:quux/quuz",
                   {.remote = "https://github.com/foo/bar.git",
                   .short_name = "bar",
                   .ref = "baz/qux",
                   .subdir = "quux/quuz"}},
           GitCase{"https://github.com/docker/docker.git#:myfolder",
                   {.remote = "https://github.com/docker/docker.git",
                   .short_name = "docker",
                   .subdir = "myfolder"}},
           GitCase{"https://github.com/docker/docker.git?ref=v1.0.0&subdir=/subdir",
                   {.remote = "https://github.com/docker/docker.git",
                   .short_name = "docker",
                   .ref = "v1.0.0",
                   .subdir = "/subdir"}},
           GitCase{"https://github.com/moby/buildkit.git?subdir=/subdir#v1.0.0",
                   {.remote = "https://github.com/moby/buildkit.git",
                   .short_name = "buildkit",
                   .ref = "v1.0.0",
                   .subdir = "/subdir"}},
           GitCase{"https://github.com/moby/buildkit.git?tag=v1.0.0",
                   {.remote = "https://github.com/moby/buildkit.git",
                   .short_name = "buildkit",
                   .ref = "refs/tags/v1.0.0"}},
           GitCase{"github.com/moby/buildkit?tag=v1.0.0",
                   {.remote = "github.com/moby/buildkit",
                   .short_name = "buildkit",
                   .ref = "refs/tags/v1.0.0",
                   .indistinguishable_from_local = true}},
           GitCase{"https://github.com/moby/buildkit.git?branch=v1.0",
                   {.remote = "https://github.com/moby/buildkit.git",
                   .short_name = "buildkit",
                   .ref = "refs/heads/v1.0"}},
           GitCase{"git@github.com:moby/buildkit.git?subdir=/subdir#v1.0.0",
                   {.remote = "git@github.com:moby/buildkit.git",
                   .short_name = "buildkit",
                   .ref = "v1.0.0",
                   .subdir = "/subdir"}},
           GitCase{"https://github.com/moby/buildkit.git?mtime=commit",
                   {.remote = "https://github.com/moby/buildkit.git",
                   .short_name = "buildkit",
                   .mtime = "commit"}},
           GitCase{"https://github.com/moby/buildkit.git?mtime=checkout",
                   {.remote = "https://github.com/moby/buildkit.git",
                   .short_name = "buildkit",
                   .mtime = "checkout"}},
           GitCase{"https://github.com/moby/buildkit.git?fetch-by-commit=true&checksum=deadbeef"
                   "#refs/heads/branch",
                   {.remote = "https://github.com/moby/buildkit.git",
                   .short_name = "buildkit",
                   .ref = "refs/heads/branch",
                   .checksum = "deadbeef",
                   .fetch_by_commit = true}},
           GitCase{"https://github.com/moby/buildkit.git?fetch-by-commit&checksum=deadbeef",
                   {.remote = "https://github.com/moby/buildkit.git",
                   .short_name = "buildkit",
                   .checksum = "deadbeef",
                   .fetch_by_commit = true}},
           GitCase{"https://github.com/moby/buildkit.git?fetch-by-commit=false",
                   {.remote = "https://github.com/moby/buildkit.git", .short_name = "buildkit"}},
       }) {
    CheckGitRef(c.source, c.want);
  }
}

TEST_CASE("sources that TestParseGitRef rejects without a message are not git",
          "[frontend][git_ref]") {
  for (const char* source : {
           "https://example.com/",
           "https://example.com/foo",
           "https://example.com/foo.git/",
           "https://example.com/foo.git.bar",
           "custom.xyz/moby/buildkit.git",
           "https://github.com/moby/buildkit",
           "http://github.com/docker/docker.git:#branch",
           "./.git",
           ".git",
       }) {
    CheckNotGit(source);
  }
}

TEST_CASE("a bad query on a git source is the error TestParseGitRef expects",
          "[frontend][git_ref]") {
  CheckGitError("https://github.com/moby/buildkit.git?ref=v1.0.0#v1.2.3",
                R"(ref conflicts: "v1.2.3" vs "v1.0.0")");
  CheckGitError("https://github.com/moby/buildkit.git?ref=v1.0.0&tag=v1.2.3",
                R"(ref conflicts: "v1.0.0" vs "refs/tags/v1.2.3")");
  CheckGitError("https://github.com/moby/buildkit.git?tag=v1.0.0&branch=v1.0",
                "branch conflicts with tag");
  CheckGitError("https://github.com/moby/buildkit.git?mtime=invalid",
                R"(invalid mtime value: "invalid" (must be "checkout" or "commit"))");
  CheckGitError("https://github.com/moby/buildkit.git?fetch-by-commit=invalid",
                R"(invalid fetch-by-commit value: "invalid")");
  CheckGitError("https://github.com/moby/buildkit.git?invalid=123",
                R"(unexpected query "invalid")");
}

struct UrlCase {
  const char* url;
  const char* scheme;
  const char* host;
  const char* path;
  std::optional<std::string> user;
  std::optional<GitUrlFragment> fragment;
  std::map<std::string, std::vector<std::string>> query;
};

TEST_CASE("remotes split into scheme, user, host and path as in TestParseURL",
          "[frontend][git_ref]") {
  for (const UrlCase& c : {
           UrlCase{"http://github.com/moby/buildkit",
                   "http",
                   "github.com",
                   "/moby/buildkit",
                   {},
                   {},
                   {}},
           UrlCase{"https://github.com/moby/buildkit",
                   "https",
                   "github.com",
                   "/moby/buildkit",
                   {},
                   {},
                   {}},
           UrlCase{"http://github.com/moby/buildkit#v1.0.0",
                   "http",
                   "github.com",
                   "/moby/buildkit",
                   {},
                   GitUrlFragment{"v1.0.0", ""},
                   {}},
           UrlCase{"http://github.com/moby/buildkit#v1.0.0:subdir",
                   "http",
                   "github.com",
                   "/moby/buildkit",
                   {},
                   GitUrlFragment{"v1.0.0", "subdir"},
                   {}},
           UrlCase{"http://foo:bar@github.com/moby/buildkit#v1.0.0",
                   "http",
                   "github.com",
                   "/moby/buildkit",
                   "foo:bar",
                   GitUrlFragment{"v1.0.0", ""},
                   {}},
           UrlCase{"ssh://git@github.com/moby/buildkit.git",
                   "ssh",
                   "github.com",
                   "/moby/buildkit.git",
                   "git",
                   {},
                   {}},
           UrlCase{"ssh://git@github.com:22/moby/buildkit.git",
                   "ssh",
                   "github.com:22",
                   "/moby/buildkit.git",
                   "git",
                   {},
                   {}},
           UrlCase{"git@github.com:moby/buildkit.git",
                   "ssh",
                   "github.com",
                   "moby/buildkit.git",
                   "git",
                   {},
                   {}},
           UrlCase{"git@github.com:moby/buildkit.git#v1.0.0",
                   "ssh",
                   "github.com",
                   "moby/buildkit.git",
                   "git",
                   GitUrlFragment{"v1.0.0", ""},
                   {}},
           UrlCase{"git@github.com:moby/buildkit.git#v1.0.0:hack",
                   "ssh",
                   "github.com",
                   "moby/buildkit.git",
                   "git",
                   GitUrlFragment{"v1.0.0", "hack"},
                   {}},
           UrlCase{"nonstandarduser@example.com:/srv/repos/weird/project.git",
                   "ssh",
                   "example.com",
                   "/srv/repos/weird/project.git",
                   "nonstandarduser",
                   {},
                   {}},
           UrlCase{"ssh://root@subdomain.example.hostname:2222/root/my/really/weird/path/foo.git",
                   "ssh",
                   "subdomain.example.hostname:2222",
                   "/root/my/really/weird/path/foo.git",
                   "root",
                   {},
                   {}},
           UrlCase{"git://host.xz:1234/path/to/repo.git",
                   "git",
                   "host.xz:1234",
                   "/path/to/repo.git",
                   {},
                   {},
                   {}},
           UrlCase{"ssh://someuser@192.168.0.123:456/~/repo-in-my-home-dir.git",
                   "ssh",
                   "192.168.0.123:456",
                   "/~/repo-in-my-home-dir.git",
                   "someuser",
                   {},
                   {}},
           UrlCase{"HTTP://github.com/moby/buildkit",
                   "http",
                   "github.com",
                   "/moby/buildkit",
                   {},
                   {},
                   {}},
           UrlCase{"https://github.com/moby/buildkit?ref=v1.0.0&foo=bar#v1.2.3",
                   "https",
                   "github.com",
                   "/moby/buildkit",
                   {},
                   GitUrlFragment{"v1.2.3", ""},
                   {{"foo", {"bar"}}, {"ref", {"v1.0.0"}}}},
           UrlCase{"git@github.com:moby/buildkit.git?subdir=/subdir#v1.0.0",
                   "ssh",
                   "github.com",
                   "moby/buildkit.git",
                   "git",
                   GitUrlFragment{"v1.0.0", ""},
                   {{"subdir", {"/subdir"}}}},
       }) {
    INFO("url: " << c.url);
    const Result<GitUrl> url = ParseGitUrl(c.url);
    REQUIRE(url.has_value());
    CHECK(url->scheme == c.scheme);
    CHECK(url->host == c.host);
    CHECK(url->path == c.path);
    CHECK(url->user == c.user);
    REQUIRE(url->fragment.has_value() == c.fragment.has_value());
    if (c.fragment) {
      CHECK(url->fragment->ref == c.fragment->ref);
      CHECK(url->fragment->subdir == c.fragment->subdir);
    }
    CHECK(url->query == c.query);
  }
}

TEST_CASE("an unsupported scheme is an invalid protocol as in TestParseURL",
          "[frontend][git_ref]") {
  const Result<GitUrl> url = ParseGitUrl("httpx://github.com/moby/buildkit");
  REQUIRE_FALSE(url.has_value());
  CHECK(url.error().message == "httpx: invalid protocol");
}

TEST_CASE("scp-like remotes are recognised as in TestIsImplicitSSHTransport",
          "[frontend][git_ref]") {
  struct Scp {
    const char* url;
    const char* user;
    const char* host;
    const char* path;
  };
  for (const Scp& c : {
           Scp{"git@github.com:moby/buildkit.git", "git", "github.com", "moby/buildkit.git"},
           Scp{"nonstandarduser@example.com:/srv/repos/weird/project.git", "nonstandarduser",
               "example.com", "/srv/repos/weird/project.git"},
           Scp{"other_Funky-username52@example.com:path/to/repo.git/", "other_Funky-username52",
               "example.com", "path/to/repo.git/"},
           Scp{"other_Funky-username52@example.com:/to/really:odd:repo.git/",
               "other_Funky-username52", "example.com", "/to/really:odd:repo.git/"},
           Scp{"teddy@4houses-down.com:/~/catnip.git/", "teddy", "4houses-down.com",
               "/~/catnip.git/"},
       }) {
    INFO("url: " << c.url);
    const Result<GitUrl> url = ParseGitUrl(c.url);
    REQUIRE(url.has_value());
    CHECK(url->scheme == "ssh");
    CHECK(url->user == c.user);
    CHECK(url->host == c.host);
    CHECK(url->path == c.path);
    CHECK(url->remote == c.url);
  }
  for (const char* url : {"github.com/moby/buildkit", "github.com:moby/buildkit.git",
                          "helloworld.net", "git@helloworld.net", "git@helloworld.net/foo/bar.git",
                          "bad:user@helloworld.net:foo/bar.git", ""}) {
    INFO("url: " << url);
    const Result<GitUrl> parsed = ParseGitUrl(url);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().message == "unknown protocol");
  }
}

TEST_CASE("an scp-like fragment is kept as written as in TestParseSCPStyleURL",
          "[frontend][git_ref]") {
  const Result<GitUrl> url = ParseGitUrl("git@github.com:moby/buildkit.git#v1.0");
  REQUIRE(url.has_value());
  CHECK(url->path == "moby/buildkit.git");
  REQUIRE(url->fragment.has_value());
  CHECK(url->fragment->ref == "v1.0");
  // Unlike url.Parse, the scp regexp does not percent-decode the fragment.
  CheckGitRef("git@host:a.git#v%2F1",
              {.remote = "git@host:a.git", .short_name = "git@host:a", .ref = "v%2F1"});
}

TEST_CASE("query flags without a value are true and others parse as Go booleans",
          "[frontend][git_ref]") {
  CheckGitRef("https://host/a.git?keep-git-dir&submodules=0", {.remote = "https://host/a.git",
                                                               .short_name = "a",
                                                               .keep_git_dir = true,
                                                               .submodules = false});
  CheckGitRef("https://host/a.git?submodules=TRUE&keep-git-dir=F", {.remote = "https://host/a.git",
                                                                    .short_name = "a",
                                                                    .keep_git_dir = false,
                                                                    .submodules = true});
  CheckGitRef("https://host/a.git?keep-git-dir=&fetch-by-commit=", {.remote = "https://host/a.git",
                                                                    .short_name = "a",
                                                                    .keep_git_dir = true,
                                                                    .fetch_by_commit = true});
  CheckGitError("https://host/a.git?keep-git-dir=yes", R"(invalid keep-git-dir value: "yes")");
  CheckGitError("https://host/a.git?submodules=on", R"(invalid submodules value: "on")");
}

TEST_CASE("query options combine with the fragment as loadQuery allows", "[frontend][git_ref]") {
  CheckGitRef(
      "https://host/a.git?commit=abc&keep-git-dir=true&submodules=false&subdir=docs&ref=main",
      {.remote = "https://host/a.git",
       .short_name = "a",
       .ref = "main",
       .checksum = "abc",
       .subdir = "docs",
       .keep_git_dir = true,
       .submodules = false});
  CheckGitRef("https://host/a.git?checksum=1",
              {.remote = "https://host/a.git", .short_name = "a", .checksum = "1"});
  // A tag or branch already in refs/ form is not prefixed again, so it can match the fragment.
  CheckGitRef("https://host/a.git?tag=refs/tags/v1#refs/tags/v1",
              {.remote = "https://host/a.git", .short_name = "a", .ref = "refs/tags/v1"});
  CheckGitRef("https://host/a.git?branch=refs/heads/main#refs/heads/main",
              {.remote = "https://host/a.git", .short_name = "a", .ref = "refs/heads/main"});
  CheckGitError("https://host/a.git?branch=main#main",
                R"(ref conflicts: "main" vs "refs/heads/main")");
  // The fragment's subdir is cleaned and the query's is not, so "/b" and "b" conflict.
  CheckGitRef("https://host/a.git?subdir=b#v1:b",
              {.remote = "https://host/a.git", .short_name = "a", .ref = "v1", .subdir = "b"});
  CheckGitError("https://host/a.git?subdir=/b#v1:b", R"(subdir conflicts: "b" vs "/b")");
}

TEST_CASE("a query key with no value or several values is an error", "[frontend][git_ref]") {
  CheckGitError("https://host/a.git?ref=", R"(query "ref" has no value)");
  CheckGitError("https://host/a.git?subdir=", R"(query "subdir" has no value)");
  CheckGitError("https://host/a.git?x#y?z", R"(query "x" has no value)");
  CheckGitError("https://host/a.git?ref=a&ref=b", R"(query "ref" has multiple values)");
  CheckGitError("https://host/a.git?=v", R"(unexpected query "")");
  CheckGitError("github.com/a b?x=1", R"(unexpected query "x")");
}

TEST_CASE("query values are decoded as url.ParseQuery decodes them", "[frontend][git_ref]") {
  CheckGitRef("https://host/a.git?ref=x+y",
              {.remote = "https://host/a.git", .short_name = "a", .ref = "x y"});
  CheckGitRef("https://host/a.git?ref=x%2By",
              {.remote = "https://host/a.git", .short_name = "a", .ref = "x+y"});
  CheckGitRef("git@host:a.git?ref=a+b",
              {.remote = "git@host:a.git", .short_name = "git@host:a", .ref = "a b"});
  CheckGitRef("https://host/a.git?&&ref=main&&",
              {.remote = "https://host/a.git", .short_name = "a", .ref = "main"});
}

TEST_CASE("a malformed query pair is dropped from a URL but makes an scp-like remote not git",
          "[frontend][git_ref]") {
  // url.URL.Query ignores ParseQuery's error; sshutil.ParseSCPStyleURL fails on it.
  CheckGitRef("https://host/a.git?ref=a;b", {.remote = "https://host/a.git", .short_name = "a"});
  CheckGitRef("https://host/a.git?%zz=1&ref=x",
              {.remote = "https://host/a.git", .short_name = "a", .ref = "x"});
  CheckNotGit("git@host:a.git?ref=a;b");
  CheckNotGit("git@host:a.git?ref=a%zz");
}

TEST_CASE("more than 10000 query parameters are ignored in a URL", "[frontend][git_ref]") {
  std::string params = "bad=1";
  for (int i = 1; i < 10000; ++i) params += "&bad=1";
  CheckGitError("https://host/a.git?" + params, R"(query "bad" has multiple values)");
  params += "&bad=1";
  CheckGitRef(("https://host/a.git?" + params).c_str(),
              {.remote = "https://host/a.git", .short_name = "a"});
  CheckNotGit(("git@host:a.git?" + params).c_str());
}

TEST_CASE("the fragment is ref and subdir with the subdir cleaned and made relative",
          "[frontend][git_ref]") {
  CheckGitRef("https://host/a.git#v1:/a/../b/",
              {.remote = "https://host/a.git", .short_name = "a", .ref = "v1", .subdir = "b"});
  CheckGitRef("https://host/a.git#v1:..",
              {.remote = "https://host/a.git", .short_name = "a", .ref = "v1"});
  CheckGitRef(
      "https://host/a.git#v%2F1:sub%20dir",
      {.remote = "https://host/a.git", .short_name = "a", .ref = "v/1", .subdir = "sub dir"});
  CheckGitRef("https://host/a.git#frag#more",
              {.remote = "https://host/a.git", .short_name = "a", .ref = "frag#more"});
  CheckGitRef("https://host/a.git#v1:sub?x",
              {.remote = "https://host/a.git", .short_name = "a", .ref = "v1", .subdir = "sub?x"});
  CheckGitRef("https://host/r.git#", {.remote = "https://host/r.git", .short_name = "r"});
}

TEST_CASE("the remote is the URL as Go prints it without query and fragment",
          "[frontend][git_ref]") {
  CheckGitRef("HTTP://github.com/moby/buildkit.git",
              {.remote = "http://github.com/moby/buildkit.git",
               .short_name = "buildkit",
               .unencrypted_tcp = true});
  CheckGitRef("GIT://Host/Repo",
              {.remote = "git://Host/Repo", .short_name = "Repo", .unencrypted_tcp = true});
  CheckGitRef("https://host/a b.git", {.remote = "https://host/a%20b.git", .short_name = "a%20b"});
  CheckGitRef("https://host/\xC3\xA9.git",
              {.remote = "https://host/%C3%A9.git", .short_name = "%C3%A9"});
  CheckGitRef("https://\xC3\xA9.com/a.git",
              {.remote = "https://%C3%A9.com/a.git", .short_name = "a"});
  CheckGitRef("https://user%40x:p%3Aw@host/a.git",
              {.remote = "https://user%40x:p%3Aw@host/a.git", .short_name = "a"});
  CheckGitRef("https:///a.git", {.remote = "https:///a.git", .short_name = "a"});
  CheckGitRef("https://:@host/a.git", {.remote = "https://:@host/a.git", .short_name = "a"});
  // The ".git" rule looks at the decoded path; the remote keeps the escape.
  CheckGitRef("https://host/r%2Egit", {.remote = "https://host/r%2Egit", .short_name = "r%2Egit"});
  // url.URL.ForceQuery survives gitutil.FromURL clearing RawQuery: the '?' stays.
  CheckGitRef("https://host/r.git?", {.remote = "https://host/r.git?", .short_name = "r.git?"});
  // ShortName splits the remote at '/' only.
  CheckGitRef("git@host:repo.git", {.remote = "git@host:repo.git", .short_name = "git@host:repo"});
  CheckGitRef("teddy@4houses-down.com:/~/catnip.git/",
              {.remote = "teddy@4houses-down.com:/~/catnip.git/", .short_name = ""});
  CheckGitRef("ssh://host", {.remote = "ssh://host", .short_name = "host"});
}

TEST_CASE("github.com without a scheme is git without the .git rule", "[frontend][git_ref]") {
  CheckGitRef("github.com/",
              {.remote = "github.com/", .short_name = "", .indistinguishable_from_local = true});
  CheckNotGit("github.com/a%zz");
  CheckNotGit("github.com/a\tb");
}

TEST_CASE("unknown schemes, local paths and URLs Go cannot parse are not git",
          "[frontend][git_ref]") {
  for (const char* source : {
           "ftp://host/a.git",
           "1http://host/a.git",
           "git+ssh://host/a.git",
           "../a.git",
           "./a.git",
           "git@helloworld.net",
           "https://host/a%zz.git",
           "https://ho st/a.git",
           "https://us er@host/a.git",
           "https://host:abc/a.git",
           "https://host/a.git\n",
           "https://host/\x7f"
           "a.git",
           "git@host:a.git\n",
           "git@host:a.git#x\ny",
       }) {
    CheckNotGit(source);
  }
  // Control characters are only refused before the '#'.
  CheckGitRef("https://host/a.git#x\ty",
              {.remote = "https://host/a.git", .short_name = "a", .ref = "x\ty"});
}

TEST_CASE("hosts follow Go 1.26 with strict colons for http and bracketed IPv6 only",
          "[frontend][git_ref]") {
  CheckGitRef("https://[::1]:8080/a.git",
              {.remote = "https://[::1]:8080/a.git", .short_name = "a"});
  CheckGitRef("https://[::ffff:1.2.3.4]/a.git",
              {.remote = "https://[::ffff:1.2.3.4]/a.git", .short_name = "a"});
  CheckGitRef(
      "git://[fe80::1%25en0]:9418/a.git",
      {.remote = "git://[fe80::1%25en0]:9418/a.git", .short_name = "a", .unencrypted_tcp = true});
  CheckGitRef("https://host:/a.git", {.remote = "https://host:/a.git", .short_name = "a"});
  // A second colon is refused in http(s) hosts only (go.dev/issue/75223, 78077).
  CheckNotGit("https://host:80:80/a.git");
  CheckGitRef("ssh://host:80:80/a.git", {.remote = "ssh://host:80:80/a.git", .short_name = "a"});
  for (const char* source :
       {"https://[1.2.3.4]/a.git", "https://x[::1]/a.git", "https://[::1/a.git",
        "https://[1::2::3]/a.git", "https://[12345::]/a.git", "https://[1:2:3:4:5:6:7::8]/a.git",
        "https://[fe80::1%25]/a.git"}) {
    CheckNotGit(source);
  }
}

}  // namespace
}  // namespace bt::frontend
