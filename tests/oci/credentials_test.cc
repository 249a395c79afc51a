// CredentialStore reads logins where docker keeps them: "auths" (base64 user:password, Docker
// Hub under its v1 URL), a credential helper per registry or for all, and writes them back.
#include "oci/credentials.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"

namespace bt::oci {
namespace {

TEST_CASE("auths entries decode, Docker Hub by its v1 key", "[oci][credentials]") {
  TempDir dir = *TempDir::Create("", "bt-creds-");
  const std::string path = dir.path() + "/config.json";
  // "alice:pa:ss" and "bob:x", base64 as docker writes them.
  std::ofstream(path) << R"({"auths":{"registry.example:5000":{"auth":"YWxpY2U6cGE6c3M="},)"
                         R"("https://index.docker.io/v1/":{"auth":"Ym9iOng="}}})";
  CredentialStore store(path);
  Result<std::optional<Credentials>> a = store.Get("registry.example:5000");
  REQUIRE(a.has_value());
  REQUIRE(a->has_value());
  CHECK((*a)->username == "alice");
  CHECK((*a)->secret == "pa:ss");
  Result<std::optional<Credentials>> hub = store.Get("docker.io");
  REQUIRE(hub.has_value());
  REQUIRE(hub->has_value());
  CHECK((*hub)->username == "bob");
  CHECK_FALSE(store.Get("other.example")->has_value());
  // docker login with an identity token keeps the user in "auth" and the token beside it.
  std::ofstream(path, std::ios::trunc) << R"({"auths":{"acr.example":{"auth":"dXNlcjo=","identitytoken":"rt"}}})";
  Result<std::optional<Credentials>> token = CredentialStore(path).Get("acr.example");
  REQUIRE(token.has_value());
  REQUIRE(token->has_value());
  CHECK((*token)->username == kIdentityTokenUser);
  CHECK((*token)->secret == "rt");
  CHECK(Base64Encode("alice:pa:ss") == "YWxpY2U6cGE6c3M=");
}

TEST_CASE("a credential helper answers for its registry", "[oci][credentials]") {
  TempDir dir = *TempDir::Create("", "bt-creds-");
  const std::string helper = dir.path() + "/docker-credential-fake";
  // Answers for registry.example only, as helpers do: JSON on stdout, or a failure.
  std::ofstream(helper) << "#!/bin/sh\nread host\n[ \"$host\" = registry.example ] || "
                           "{ echo 'credentials not found in native keychain'; exit 1; }\n"
                           "echo '{\"ServerURL\":\"registry.example\",\"Username\":\"carol\",\"Secret\":\"tok\"}'\n";
  REQUIRE(::chmod(helper.c_str(), 0755) == 0);
  const std::string old_path = ::getenv("PATH");
  ::setenv("PATH", (dir.path() + ":" + old_path).c_str(), 1);
  const std::string path = dir.path() + "/config.json";
  std::ofstream(path) << R"({"credHelpers":{"registry.example":"fake"},"credsStore":"fake"})";
  CredentialStore store(path);
  Result<std::optional<Credentials>> c = store.Get("registry.example");
  REQUIRE(c.has_value());
  REQUIRE(c->has_value());
  CHECK((*c)->username == "carol");
  CHECK((*c)->secret == "tok");
  // The store-wide helper knows nothing of another registry: no credentials, no error.
  Result<std::optional<Credentials>> none = store.Get("elsewhere.example");
  REQUIRE(none.has_value());
  CHECK_FALSE(none->has_value());
  ::setenv("PATH", old_path.c_str(), 1);
}

TEST_CASE("a login is stored in auths, owner-only, and erased", "[oci][credentials]") {
  TempDir dir = *TempDir::Create("", "bt-creds-");
  const std::string path = dir.path() + "/sub/config.json";
  CredentialStore store(path);
  REQUIRE(store.Store("localhost:5000", Credentials{"dave", "pw"}).has_value());
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(store.Get("localhost:5000")->value().username == "dave");
  CHECK(*store.Erase("localhost:5000"));
  CHECK_FALSE(*store.Erase("localhost:5000"));
  CHECK_FALSE(store.Get("localhost:5000")->has_value());
  std::ofstream(path) << "not json";
  CHECK(store.Get("localhost:5000").error().code == ErrorCode::kInvalidArgument);
}

// SECURITY.md case 35: a helper is a program named by the config, so the config decides what
// runs: only docker-credential-NAME from PATH, for a bounded time and output.
TEST_CASE("a credential helper name that is a path is refused, nothing runs", "[oci][credentials]") {
  TempDir dir = *TempDir::Create("", "bt-creds-");
  const std::string marker = dir.path() + "/ran";
  // What "../../evil" would reach if it were joined: docker-credential-../../evil.
  REQUIRE(::mkdir((dir.path() + "/docker-credential-..").c_str(), 0755) == 0);
  std::ofstream(dir.path() + "/evil") << "#!/bin/sh\ntouch " << marker << "\n";
  REQUIRE(::chmod((dir.path() + "/evil").c_str(), 0755) == 0);
  const std::string path = dir.path() + "/config.json";
  for (const char* name : {"../evil", "../../tmp/evil", "-v", "a b", "x/y"}) {
    INFO(name);
    std::ofstream(path, std::ios::trunc) << R"({"credHelpers":{"127.0.0.1:5000":")" << name << R"("}})";
    Result<std::optional<Credentials>> c = CredentialStore(path).Get("127.0.0.1:5000");
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().code == ErrorCode::kInvalidArgument);
  }
  struct stat st;
  CHECK(::stat(marker.c_str(), &st) != 0);
}

TEST_CASE("a credential helper that hangs or floods is killed, a failing one's secret is not quoted",
          "[oci][credentials]") {
  TempDir dir = *TempDir::Create("", "bt-creds-");
  auto helper = [&](const std::string& name, const std::string& body) {
    const std::string file = dir.path() + "/docker-credential-" + name;
    std::ofstream(file) << "#!/bin/sh\n" << body << "\n";
    REQUIRE(::chmod(file.c_str(), 0755) == 0);
  };
  helper("hang", "exec sleep 30");
  helper("flood", "exec yes 0123456789abcdef");
  helper("leaky", "echo '{\"Username\":\"u\",\"Secret\":\"hunter2\"}'; exit 1");
  helper("deaf", "exit 0");  // exits without reading its input: no SIGPIPE for us
  const std::string old_path = ::getenv("PATH");
  ::setenv("PATH", (dir.path() + ":" + old_path).c_str(), 1);
  const std::string path = dir.path() + "/config.json";
  std::ofstream(path) << R"({"credHelpers":{"a":"hang","b":"flood","c":"leaky","d":"deaf"}})";
  CredentialStore store(path);
  store.set_helper_timeout(std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  Result<std::optional<Credentials>> hung = store.Get("a");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  REQUIRE_FALSE(hung.has_value());
  CHECK(hung.error().message.find("ran longer than 300 ms") != std::string::npos);
  Result<std::optional<Credentials>> flood = store.Get("b");
  REQUIRE_FALSE(flood.has_value());
  CHECK(flood.error().message.find("printed more than") != std::string::npos);
  Result<std::optional<Credentials>> leaky = store.Get("c");
  REQUIRE_FALSE(leaky.has_value());
  CHECK(leaky.error().message.find("hunter2") == std::string::npos);
  Result<std::optional<Credentials>> deaf = store.Get("d");
  REQUIRE_FALSE(deaf.has_value());  // an answer without Username and Secret
  CHECK(deaf.error().code == ErrorCode::kInvalidArgument);
  ::setenv("PATH", old_path.c_str(), 1);
}

}  // namespace
}  // namespace bt::oci
