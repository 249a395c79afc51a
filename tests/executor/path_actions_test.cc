// Tests for mkdir, mkfile, rm and symlink (executor/fileop/path_actions.h through
// ApplyFileActions). Expected values follow BuildKit's solver/llbsolver/file/backend.go
// (mkdir, mkfile, rm/rmPath, symlink) and fsutil's MkdirAll.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>

#include "tests/executor/file_tree_fixture.h"

namespace bt::executor::test {
namespace {

using Catch::Matchers::Contains;

MkdirSpec Mkdir(std::string path, uint32_t mode, bool parents) {
  MkdirSpec m;
  m.path = std::move(path);
  m.mode = mode;
  m.make_parents = parents;
  return m;
}

MkfileSpec Mkfile(std::string path, std::string data, uint32_t mode = 0644) {
  MkfileSpec m;
  m.path = std::move(path);
  m.data = std::move(data);
  m.mode = mode;
  return m;
}

RmSpec Rm(std::string path, bool allow_not_found = false, bool allow_wildcard = false) {
  RmSpec r;
  r.path = std::move(path);
  r.allow_not_found = allow_not_found;
  r.allow_wildcard = allow_wildcard;
  return r;
}

SymlinkSpec Symlink(std::string target, std::string linkpath) {
  SymlinkSpec s;
  s.target = std::move(target);
  s.linkpath = std::move(linkpath);
  return s;
}

TEST_CASE("mkdir with parents makes each missing directory with mode and time, leaves existing ones",
          "[executor][mkdir]") {
  Trees t;
  MakeDir(t.dest("a"), 0700);
  MkdirSpec spec = Mkdir("/a/b/c", 0711, true);
  spec.timestamp = 1600000000;
  const mode_t old_umask = ::umask(077);  // the mode must not depend on the umask
  auto r = t.Apply({spec});
  ::umask(old_umask);
  REQUIRE(r.has_value());
  CHECK(Perm(t.dest("a")) == 0700);
  CHECK(Perm(t.dest("a/b")) == 0711);
  CHECK(Perm(t.dest("a/b/c")) == 0711);
  CHECK(Lstat(t.dest("a/b")).st_mtim.tv_sec == 1600000000);
  CHECK(Lstat(t.dest("a/b/c")).st_mtim.tv_sec == 1600000000);
  // Existing: nothing to do, whatever its mode (MkdirAll's fast path).
  REQUIRE(t.Apply({Mkdir("/a", 0755, true)}).has_value());
  CHECK(Perm(t.dest("a")) == 0700);
  // A file in the way is an error.
  WriteFile(t.dest("file"), "f");
  auto blocked = t.Apply({Mkdir("/file/sub", 0755, true)});
  REQUIRE_FALSE(blocked.has_value());
  CHECK(blocked.error().code == ErrorCode::kFailedPrecondition);
  CHECK(blocked.error().message == "lstat /file/sub: not a directory");  // fs.RootPath's error
}

TEST_CASE("mkdir owners: the --chown or USER owner on every made directory", "[executor][mkdir][root]") {
  // WORKDIR as lowered: mkdir -p with the image's USER as owner.
  BT_EXECUTOR_REQUIRE_ROOT();
  Trees t;
  WriteFile(t.dest("etc/passwd"), "app:x:1000:1001::/home/app:/bin/sh\n");
  MkdirSpec spec = Mkdir("/work/dir", 0755, true);
  spec.owner = Owner{std::string("app"), std::nullopt};
  REQUIRE(t.Apply({spec}).has_value());
  CHECK(Lstat(t.dest("work")).st_uid == 1000);
  CHECK(Lstat(t.dest("work/dir")).st_gid == 1001);
}

TEST_CASE("mkdir without parents needs the parent and accepts whatever is there", "[executor][mkdir]") {
  Trees t;
  auto missing = t.Apply({Mkdir("/x/y", 0755, false)});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message == "mkdir /x/y: no such file or directory");
  WriteFile(t.dest("f"), "f", 0600);
  REQUIRE(t.Apply({Mkdir("/f", 0755, false)}).has_value());  // backend.go ignores EEXIST
  CHECK(S_ISREG(Lstat(t.dest("f")).st_mode));
  REQUIRE(t.Apply({Mkdir("/d", 0777, false)}).has_value());
  CHECK(Perm(t.dest("d")) == 0777);
  REQUIRE(t.Apply({Mkdir("/", 0755, false)}).has_value());
}

TEST_CASE("mkdir follows a final symlink in-root, as fs.RootPath does", "[executor][mkdir]") {
  Trees t;
  MakeSymlink(t.dest("link"), "/real");
  REQUIRE(t.Apply({Mkdir("/link", 0750, false)}).has_value());
  CHECK(fs::is_directory(t.dest("real")));
  CHECK(Perm(t.dest("real")) == 0750);
  CHECK(LinkTarget(t.dest("link")) == "/real");
}

TEST_CASE("mkfile writes a new file with exact mode, owner and time", "[executor][mkfile]") {
  Trees t;
  MkfileSpec spec = Mkfile("/etc/app.conf", "key=value\n", 0600);
  spec.timestamp = 1500000000;
  MakeDir(t.dest("etc"));
  const mode_t old_umask = ::umask(077);
  auto r = t.Apply({spec});
  ::umask(old_umask);
  REQUIRE(r.has_value());
  CHECK(ReadFile(t.dest("etc/app.conf")) == "key=value\n");
  CHECK(Perm(t.dest("etc/app.conf")) == 0600);
  CHECK(Lstat(t.dest("etc/app.conf")).st_mtim.tv_sec == 1500000000);
  if (IsRoot()) {
    spec.path = "/etc/owned";
    spec.owner = Owner{7u, 8u};
    REQUIRE(t.Apply({spec}).has_value());
    CHECK(Lstat(t.dest("etc/owned")).st_uid == 7);
    CHECK(Lstat(t.dest("etc/owned")).st_gid == 8);
  }
}

TEST_CASE("mkfile rewrites an existing file and keeps its mode", "[executor][mkfile]") {
  // os.WriteFile truncates and leaves the mode of a file that exists.
  Trees t;
  WriteFile(t.dest("f"), "a much longer old content", 0640);
  REQUIRE(t.Apply({Mkfile("/f", "new", 0600)}).has_value());
  CHECK(ReadFile(t.dest("f")) == "new");
  CHECK(Perm(t.dest("f")) == 0640);
}

TEST_CASE("mkfile refuses directories, devices and fifos, and needs the parent", "[executor][mkfile]") {
  Trees t;
  MakeDir(t.dest("dir"));
  auto on_dir = t.Apply({Mkfile("/dir", "x")});
  REQUIRE_FALSE(on_dir.has_value());
  CHECK(on_dir.error().message == "open /dir: is a directory");
  REQUIRE(::mkfifo(t.dest("fifo").c_str(), 0644) == 0);
  auto on_fifo = t.Apply({Mkfile("/fifo", "x")});
  REQUIRE_FALSE(on_fifo.has_value());
  CHECK(on_fifo.error().code == ErrorCode::kFailedPrecondition);
  auto no_parent = t.Apply({Mkfile("/nodir/f", "x")});
  REQUIRE_FALSE(no_parent.has_value());
  CHECK(no_parent.error().code == ErrorCode::kNotFound);
  CHECK(no_parent.error().message == "open /nodir/f: no such file or directory");
}

TEST_CASE("rm removes files and trees, and fails on what is missing unless allowed", "[executor][rm]") {
  Trees t;
  WriteFile(t.dest("f"), "f");
  WriteFile(t.dest("tree/a/b/c"), "c");
  REQUIRE(t.Apply({Rm("/f"), Rm("/tree")}).has_value());
  CHECK_FALSE(Exists(t.dest("f")));
  CHECK_FALSE(Exists(t.dest("tree")));
  auto missing = t.Apply({Rm("/missing")});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message == "stat /missing: no such file or directory");
  REQUIRE(t.Apply({Rm("/missing", true)}).has_value());
  REQUIRE(t.Apply({Rm("/no/such/parent", true)}).has_value());
  auto root = t.Apply({Rm("/")});
  REQUIRE_FALSE(root.has_value());
  CHECK(root.error().message == "rmPath: invalid empty path");
}

TEST_CASE("rm removes a final symlink itself and resolves the parents in-root", "[executor][rm]") {
  Trees t;
  WriteFile(t.dest("real/f"), "f");
  WriteFile(t.dest("real/g"), "g");
  MakeSymlink(t.dest("link"), "/real");
  REQUIRE(t.Apply({Rm("/link/f")}).has_value());  // through the link: /real/f
  CHECK_FALSE(Exists(t.dest("real/f")));
  REQUIRE(t.Apply({Rm("/link")}).has_value());
  CHECK_FALSE(Exists(t.dest("link")));
  CHECK(ReadFile(t.dest("real/g")) == "g");
}

TEST_CASE("rm with wildcards removes the matches only", "[executor][rm]") {
  Trees t;
  WriteFile(t.dest("logs/a.log"), "");
  WriteFile(t.dest("logs/b.log"), "");
  WriteFile(t.dest("logs/keep.txt"), "");
  REQUIRE(t.Apply({Rm("/logs/*.log", false, true)}).has_value());
  CHECK_FALSE(Exists(t.dest("logs/a.log")));
  CHECK_FALSE(Exists(t.dest("logs/b.log")));
  CHECK(Exists(t.dest("logs/keep.txt")));
  REQUIRE(t.Apply({Rm("/logs/*.none", false, true)}).has_value());  // no match: nothing
}

TEST_CASE("symlink stores the target verbatim, with owner and time, and never replaces",
          "[executor][symlink]") {
  Trees t;
  SymlinkSpec abs = Symlink("/etc/passwd", "/abs");
  abs.timestamp = 1400000000;
  REQUIRE(t.Apply({abs, Symlink("../../x", "/rel")}).has_value());
  CHECK(LinkTarget(t.dest("abs")) == "/etc/passwd");
  CHECK(LinkTarget(t.dest("rel")) == "../../x");
  CHECK(Lstat(t.dest("abs")).st_mtim.tv_sec == 1400000000);
  if (IsRoot()) {
    SymlinkSpec owned = Symlink("t", "/owned");
    owned.owner = Owner{9u, 10u};
    REQUIRE(t.Apply({owned}).has_value());
    CHECK(Lstat(t.dest("owned")).st_uid == 9);
    CHECK(Lstat(t.dest("owned")).st_gid == 10);
  }
  WriteFile(t.dest("taken"), "t");
  auto again = t.Apply({Symlink("/other", "/taken")});
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == ErrorCode::kAlreadyExists);
  CHECK(again.error().message == "symlink /other /taken: file exists");
  // The link path is resolved as fs.RootPath does, its last symlink included: over the
  // dangling /rel -> ../../x (which is /x in-root) the new link is made at /x.
  REQUIRE(t.Apply({Symlink("/other", "/rel")}).has_value());
  CHECK(LinkTarget(t.dest("rel")) == "../../x");
  CHECK(LinkTarget(t.dest("x")) == "/other");
}

TEST_CASE("actions run in order on one tree", "[executor][apply]") {
  Trees t;
  REQUIRE(t.Apply({Mkdir("/app", 0755, true), Mkfile("/app/a", "a"), Symlink("a", "/app/b"), Rm("/app/a")}).has_value());
  CHECK_FALSE(Exists(t.dest("app/a")));
  CHECK(LinkTarget(t.dest("app/b")) == "a");
  auto failing = t.Apply({Mkfile("/app/c", "c"), Rm("/nope"), Mkfile("/app/d", "d")});
  REQUIRE_FALSE(failing.has_value());
  CHECK(failing.error().context.back() == "rm /nope");
  CHECK(Exists(t.dest("app/c")));
  CHECK_FALSE(Exists(t.dest("app/d")));
}

}  // namespace
}  // namespace bt::executor::test
