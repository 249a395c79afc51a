// The COPY/ADD cases of ../shared/conformance/semantics replayed on ApplyFileActions: each
// case's context is laid out as make-expected.sh lays it out (owners 0:0, modes normalized,
// then its `prepare` script), its Dockerfile is written below as the actions the frontend
// lowers it to, and the destination tree must list exactly as the reference BuildKit's image
// did (expected/files.txt, every line). The corpus was made with the reference behaviour
// CopyCompat::kConformanceReference describes, with the context owned 0:0 by the transfer
// (SourceOwners::kRoot).
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "tests/executor/file_tree_fixture.h"

namespace bt::executor::test {
namespace {

const std::string kCases = std::string(BT_SHARED_DIR) + "/conformance/semantics/cases/";

std::vector<std::string> ExpectedLines(const std::string& name, const std::string& prefix = "") {
  std::ifstream in(kCases + name + "/expected/files.txt");
  REQUIRE(in.good());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) lines.push_back(line);
  }
  return lines;
}

// make-expected.sh's prepare_context, into the fixture's ctx/.
void PrepareContext(const Trees& t, const std::string& name) {
  const std::string dir = kCases + name;
  std::string script = "set -e; cd '" + t.ctx() + "'; ";
  if (fs::exists(dir + "/context")) script += "cp -a '" + dir + "/context/.' .; ";
  script +=
      "chown -R -h 0:0 .; find . -type d -exec chmod 0755 {} +; "
      "find . -type f -perm -u+x -exec chmod 0755 {} +; "
      "find . -type f ! -perm -u+x -exec chmod 0644 {} +; ";
  if (fs::exists(dir + "/prepare")) script += "umask 022; bash '" + dir + "/prepare'";
  REQUIRE(std::system(("bash -c \"" + script + "\" >/dev/null").c_str()) == 0);
}

CopySpec Chown(CopySpec c, Owner owner) {
  c.owner = std::move(owner);
  return c;
}
CopySpec Chmod(CopySpec c, uint32_t mode) {
  c.mode = mode;
  return c;
}
CopySpec Add(CopySpec c) {
  c.unpack_archive = true;
  return c;
}
CopySpec NoUnpack(CopySpec c) {
  c.unpack_archive = false;
  return c;
}

void Replay(const std::string& name, std::vector<FileActionSpec> actions, const std::string& prefix = "") {
  Trees t;
  PrepareContext(t, name);
  auto applied = t.Apply(std::move(actions), FileActionOptions{}, SourceOwners::kRoot);
  INFO((applied.has_value() ? std::string() : Describe(applied.error())));
  REQUIRE(applied.has_value());
  std::vector<std::string> got = ListFs(t.dest());
  if (!prefix.empty()) std::erase_if(got, [&](const std::string& l) { return l.rfind(prefix, 0) != 0; });
  CHECK(got == ExpectedLines(name, prefix));
}

TEST_CASE("conformance copy-file-to-dir: a trailing slash or an existing directory receives the file",
          "[executor][conformance][root]") {
  BT_EXECUTOR_REQUIRE_ROOT();
  Replay("copy-file-to-dir", {ContextCopy("/a.txt", "/withslash/"), ContextCopy("/a.txt", "/noslash"),
                              ContextCopy("/a.txt", "/existing/"), ContextCopy("/b.txt", "/existing"),
                              ContextCopy("/a.txt", "/deep/er/path/"), ContextCopy("/a.txt", "/deep/renamed.txt")});
}

TEST_CASE("conformance copy-wildcards: each match lands in the directory, the last of equal names wins",
          "[executor][conformance][root]") {
  BT_EXECUTOR_REQUIRE_ROOT();
  Replay("copy-wildcards", {ContextCopy("/*.txt", "/txt/"), ContextCopy("/file?.md", "/q/"),
                            ContextCopy("/[ab]*.dat", "/range/"), ContextCopy("/sub*", "/subs/"),
                            ContextCopy("/nested/*/x.cfg", "/cfg/")});
}

TEST_CASE("conformance copy-empty-dirs: a directory's contents are copied, the target made 0755",
          "[executor][conformance][root]") {
  BT_EXECUTOR_REQUIRE_ROOT();
  Replay("copy-empty-dirs",
         {ContextCopy("/empty", "/e"), ContextCopy("/tree", "/t"), ContextCopy("/empty", "/e2/")});
}

TEST_CASE("conformance copy-multiple-sources: each source goes into the slash-terminated destination",
          "[executor][conformance][root]") {
  BT_EXECUTOR_REQUIRE_ROOT();
  Replay("copy-multiple-sources",
         {ContextCopy("/a.txt", "/multi/"), ContextCopy("/b.txt", "/multi/"), ContextCopy("/dir", "/multi/"),
          ContextCopy("/a.txt", "/json form/"), ContextCopy("/b.txt", "/json form/"),
          ContextCopy("/a.txt", "/rel/"), ContextCopy("/b.txt", "/rel/")});
}

TEST_CASE("conformance copy-context-metadata: context files lose their owner, keep mode and setuid",
          "[executor][conformance][root]") {
  BT_EXECUTOR_REQUIRE_ROOT();
  Replay("copy-context-metadata",
         {ContextCopy("/owned.txt", "/o/"), ContextCopy("/mode600.txt", "/o/"), ContextCopy("/setuid", "/o/"),
          ContextCopy("/sticky", "/o/"), ContextCopy("/exec.sh", "/o/")});
}

TEST_CASE("conformance copy-chmod: numeric --chmod sets 0777 bits of what is copied, not of made dirs",
          "[executor][conformance][root]") {
  BT_EXECUTOR_REQUIRE_ROOT();
  Replay("copy-chmod", {Chmod(ContextCopy("/f.txt", "/o/f600"), 0600), Chmod(ContextCopy("/f.txt", "/o/f755"), 0755),
                        Chmod(ContextCopy("/f.txt", "/o/setuid"), 04711), Chmod(ContextCopy("/dir", "/o/dir"), 0700),
                        Chmod(Chown(ContextCopy("/f.txt", "/o/both"), Owner{5u, 6u}), 0640),
                        Chmod(Add(ContextCopy("/f.txt", "/o/added")), 0444)});
}

TEST_CASE("conformance copy-chown-numeric: --chown=N means N:N and owns the directories made",
          "[executor][conformance][root]") {
  BT_EXECUTOR_REQUIRE_ROOT();
  Replay("copy-chown-numeric", {Chown(ContextCopy("/f.txt", "/o/both"), Owner{1234u, 5678u}),
                                Chown(ContextCopy("/f.txt", "/o/uid-only"), Owner{42u, std::nullopt}),
                                Chown(ContextCopy("/f.txt", "/o/root"), Owner{0u, 0u}),
                                Chown(ContextCopy("/dir", "/o/dir/"), Owner{7u, 8u})});
}

TEST_CASE("conformance chown-unknown-name: names missing from passwd or group read as 0",
          "[executor][conformance][root]") {
  BT_EXECUTOR_REQUIRE_ROOT();
  Trees t;
  PrepareContext(t, "chown-unknown-name");
  // bb:latest's accounts, as far as this case looks at them.
  WriteFile(t.dest("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  WriteFile(t.dest("etc/group"), "root:x:0:\n");
  auto applied = t.Apply({Chown(ContextCopy("/a.txt", "/o/unknown-user"), Owner{std::string("nosuchuser"), std::nullopt}),
                          Chown(ContextCopy("/a.txt", "/o/unknown-group"), Owner{std::string("root"), std::string("nosuchgroup")}),
                          Chown(ContextCopy("/a.txt", "/o/unknown-both"), Owner{std::string("nosuchuser"), std::string("nosuchgroup")})},
                         FileActionOptions{}, SourceOwners::kRoot);
  REQUIRE(applied.has_value());
  std::vector<std::string> got = ListFs(t.dest());
  std::erase_if(got, [](const std::string& l) { return l.rfind("/o", 0) != 0; });
  CHECK(got == ExpectedLines("chown-unknown-name"));
}

TEST_CASE("conformance add-tar-extract: archives are unpacked by content with their owners",
          "[executor][conformance][root]") {
  BT_EXECUTOR_REQUIRE_ROOT();
  Replay("add-tar-extract", {Add(ContextCopy("/archive.tar", "/x/")), Add(ContextCopy("/archive.tar.gz", "/y")),
                             Add(ContextCopy("/archive.tar", "/z/archive-dir/")),
                             NoUnpack(ContextCopy("/archive.tar", "/copied/")),
                             Chown(Add(ContextCopy("/archive.tar.gz", "/owned/")), Owner{9u, 9u})});
}

TEST_CASE("conformance add-plain-file: ADD of what is not an archive copies it", "[executor][conformance][root]") {
  BT_EXECUTOR_REQUIRE_ROOT();
  Replay("add-plain-file", {Add(ContextCopy("/f.txt", "/f")), Add(ContextCopy("/f.txt", "/dir/")),
                            Add(ContextCopy("/dir", "/d")), Add(ContextCopy("/not-a-tar.gz", "/plain/"))});
}

}  // namespace
}  // namespace bt::executor::test
