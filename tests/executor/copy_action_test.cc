// Tests for COPY through executor/fileop/apply_file_actions.h (copy_action.h, tree_copier.h).
// Expected values follow BuildKit: solver/llbsolver/file/backend.go, tonistiigi/fsutil
// copy.go/copy_linux.go, and the Dockerfile integration tests named in each case
// (frontend/dockerfile/dockerfile_copy_test.go, dockerfile_parents_test.go).
#include <sys/socket.h>
#include <sys/un.h>

#include <catch2/catch.hpp>
#include <string>

#include "tests/executor/file_tree_fixture.h"

namespace bt::executor::test {
namespace {

using Catch::Matchers::Contains;

Result<void> Copy(const Trees& t, CopySpec spec, FileActionOptions options = {}) {
  return t.Apply({std::move(spec)}, options);
}

TEST_CASE("wildcard matches are copied in walk order, and onto a non-directory the last one wins",
          "[executor][copy]") {
  Trees t;
  WriteFile(t.ctx("a.txt"), "A");
  WriteFile(t.ctx("b.txt"), "B");
  WriteFile(t.ctx("c.md"), "C");
  SECTION("a destination ending in / is a directory") {
    REQUIRE(Copy(t, ContextCopy("*.txt", "out/")).has_value());
    CHECK(ReadFile(t.dest("out/a.txt")) == "A");
    CHECK(ReadFile(t.dest("out/b.txt")) == "B");
    CHECK_FALSE(Exists(t.dest("out/c.md")));
  }
  SECTION("without the slash each match is copied to the same path (moby/buildkit#4550)") {
    REQUIRE(Copy(t, ContextCopy("*.txt", "out")).has_value());
    CHECK(S_ISREG(Lstat(t.dest("out")).st_mode));
    CHECK(ReadFile(t.dest("out")) == "B");
  }
}

TEST_CASE("a wildcard without matches copies nothing only when empty wildcards are allowed",
          "[executor][copy]") {
  Trees t;
  WriteFile(t.ctx("foo"), "x");
  CopySpec spec = ContextCopy("nomatch*", "/");
  REQUIRE(Copy(t, spec).has_value());  // testEmptyWildcard
  CHECK(fs::is_empty(t.dest()));
  spec.allow_empty_wildcard = false;
  auto r = Copy(t, spec);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kNotFound);
  CHECK(r.error().message == "/nomatch* not found");
}

TEST_CASE("a missing source is reported as BuildKit's lstat error on the in-root path", "[executor][copy]") {
  Trees t;
  auto r = Copy(t, ContextCopy("does-not-exist.txt", "/"));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kNotFound);
  CHECK(r.error().message == "lstat /does-not-exist.txt: no such file or directory");
  CHECK_THAT(Describe(r.error()), !Contains(t.root()));

  auto under_missing_dir = Copy(t, ContextCopy("nodir/*.txt", "/"));
  REQUIRE_FALSE(under_missing_dir.has_value());
  CHECK(under_missing_dir.error().message == "lstat /nodir: no such file or directory");
}

TEST_CASE("follow_symlinks follows the source path itself, never the links below it", "[executor][copy]") {
  Trees t;
  WriteFile(t.ctx("real/file"), "data");
  MakeSymlink(t.ctx("real/abs"), "/etc/passwd");
  MakeSymlink(t.ctx("real/dangling"), "nowhere");
  MakeSymlink(t.ctx("link"), "real");
  SECTION("followed: the directory the link names is copied") {
    REQUIRE(Copy(t, ContextCopy("link", "/out")).has_value());
    CHECK(ReadFile(t.dest("out/file")) == "data");
    CHECK(LinkTarget(t.dest("out/abs")) == "/etc/passwd");  // stored verbatim
    CHECK(LinkTarget(t.dest("out/dangling")) == "nowhere");
  }
  SECTION("not followed: the link itself is copied") {
    CopySpec spec = ContextCopy("link", "/out");
    spec.follow_symlinks = false;
    REQUIRE(Copy(t, spec).has_value());
    CHECK(LinkTarget(t.dest("out")) == "real");
  }
}

TEST_CASE("hard links inside one copy stay hard links", "[executor][copy]") {
  Trees t;
  WriteFile(t.ctx("h/a"), "linked");
  REQUIRE(::link(t.ctx("h/a").c_str(), t.ctx("h/b").c_str()) == 0);
  REQUIRE(Copy(t, ContextCopy("h", "/h")).has_value());
  CHECK(Lstat(t.dest("h/a")).st_ino == Lstat(t.dest("h/b")).st_ino);
  CHECK(Lstat(t.dest("h/a")).st_ino != Lstat(t.ctx("h/a")).st_ino);
  CHECK(ReadFile(t.dest("h/b")) == "linked");
  // Two copies are two copiers: each makes its own file (fsutil keeps one inode map per copy).
  REQUIRE(t.Apply({ContextCopy("h/a", "/x/"), ContextCopy("h/b", "/x/")}).has_value());
  CHECK(Lstat(t.dest("x/a")).st_ino != Lstat(t.dest("x/b")).st_ino);
}

TEST_CASE("special bits, fifos, sockets and xattrs survive a copy", "[executor][copy]") {
  Trees t;
  WriteFile(t.ctx("s/setuid"), "s", 04755);
  MakeDir(t.ctx("s/setgid-dir"), 02775);
  MakeDir(t.ctx("s/sticky"), 01777);
  REQUIRE(::mkfifo(t.ctx("s/fifo").c_str(), 0640) == 0);
  const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(sock >= 0);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  const std::string sock_path = t.ctx("s/sock");
  REQUIRE(sock_path.size() < sizeof(addr.sun_path));
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path.c_str());
  REQUIRE(::bind(sock, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) == 0);
  ::close(sock);
  const bool xattrs = SupportsUserXattrs(t.ctx());
  if (xattrs) REQUIRE(::setxattr(t.ctx("s/setuid").c_str(), "user.note", "kept", 4, 0) == 0);

  REQUIRE(Copy(t, ContextCopy("s", "/s")).has_value());
  CHECK(Perm(t.dest("s/setuid")) == 04755);
  CHECK(Perm(t.dest("s/setgid-dir")) == 02775);
  CHECK(Perm(t.dest("s/sticky")) == 01777);
  CHECK(S_ISFIFO(Lstat(t.dest("s/fifo")).st_mode));
  CHECK(Perm(t.dest("s/fifo")) == 0640);
  // fsutil's copyDevice clears a socket's type bits: an empty regular file is left.
  CHECK(S_ISREG(Lstat(t.dest("s/sock")).st_mode));
  CHECK(Lstat(t.dest("s/sock")).st_size == 0);
  if (xattrs) {
    char buf[16];
    const ssize_t n = ::getxattr(t.dest("s/setuid").c_str(), "user.note", buf, sizeof(buf));
    CHECK(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0) == "kept");
  } else {
    WARN("user.* xattrs unsupported under " << t.root() << "; xattr copy not checked");
  }
}

TEST_CASE("trusted.overlay.* xattrs are never copied", "[executor][copy][root]") {
  BT_EXECUTOR_REQUIRE_ROOT();
  Trees t;
  MakeDir(t.ctx("d/sub"));
  if (::setxattr(t.ctx("d/sub").c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
    WARN("SKIPPED: the file system refuses trusted.* xattrs");
    return;
  }
  REQUIRE(Copy(t, ContextCopy("d", "/d")).has_value());
  char buf[4];
  CHECK(::getxattr(t.dest("d/sub").c_str(), "trusted.overlay.opaque", buf, sizeof(buf)) < 0);
}

TEST_CASE("owners: the source's without --chown, 0:0 for a context, the owner for all with --chown",
          "[executor][copy][root]") {
  BT_EXECUTOR_REQUIRE_ROOT();
  Trees t;
  WriteFile(t.ctx("d/f"), "f");
  MakeSymlink(t.ctx("d/l"), "f");
  REQUIRE(::lchown(t.ctx("d/f").c_str(), 1234, 5678) == 0);
  REQUIRE(::lchown(t.ctx("d/l").c_str(), 1234, 5678) == 0);
  REQUIRE(::chown(t.ctx("d").c_str(), 100, 200) == 0);

  SECTION("as stored (another stage)") {
    REQUIRE(Copy(t, ContextCopy("d", "/a/b/")).has_value());
    CHECK(Lstat(t.dest("a/b/f")).st_uid == 1234);
    CHECK(Lstat(t.dest("a/b/f")).st_gid == 5678);
    CHECK(Lstat(t.dest("a/b/l")).st_uid == 1234);
    CHECK(Lstat(t.dest("a")).st_uid == 0);  // made on the way, by root
  }
  SECTION("a build context reads as root's") {
    REQUIRE(t.Apply({ContextCopy("d", "/a/")}, {}, SourceOwners::kRoot).has_value());
    CHECK(Lstat(t.dest("a/f")).st_uid == 0);
    CHECK(Lstat(t.dest("a/l")).st_gid == 0);
  }
  SECTION("--chown owns everything copied and every directory made on the way") {
    CopySpec spec = ContextCopy("d", "/a/b/");
    spec.owner = Owner{300u, 400u};
    REQUIRE(Copy(t, spec).has_value());
    for (const char* p : {"a", "a/b", "a/b/f", "a/b/l"}) {
      INFO(p);
      CHECK(Lstat(t.dest(p)).st_uid == 300);
      CHECK(Lstat(t.dest(p)).st_gid == 400);
    }
  }
}

TEST_CASE("merging into an existing directory keeps its metadata, and new entries get theirs",
          "[executor][copy][root]") {
  // testCopyChownExistingDir: COPY --from=source --chown=300:400 /dir/. /existingdir
  BT_EXECUTOR_REQUIRE_ROOT();
  Trees t;
  MakeDir(t.stage("dir/subdir"));
  WriteFile(t.stage("dir/subdir/nestedfile"), "n");
  REQUIRE(::chown(t.stage("dir/subdir").c_str(), 101, 201) == 0);
  MakeDir(t.dest("existingdir/existingsubdir"), 0700);
  WriteFile(t.dest("existingdir/existingfile"), "e");
  REQUIRE(::chown(t.dest("existingdir").c_str(), 500, 600) == 0);
  REQUIRE(::chown(t.dest("existingdir/existingsubdir").c_str(), 501, 601) == 0);
  CopySpec spec = ContextCopy("/dir/.", "/existingdir");
  spec.source = 1;
  SECTION("without --chown") {
    REQUIRE(Copy(t, spec).has_value());
    CHECK(Lstat(t.dest("existingdir")).st_uid == 500);
    CHECK(Lstat(t.dest("existingdir/existingsubdir")).st_uid == 501);
    CHECK(Perm(t.dest("existingdir/existingsubdir")) == 0700);
    CHECK(Lstat(t.dest("existingdir/subdir")).st_uid == 101);
    CHECK(Lstat(t.dest("existingdir/subdir")).st_gid == 201);
  }
  SECTION("with --chown") {
    spec.owner = Owner{300u, 400u};
    REQUIRE(Copy(t, spec).has_value());
    CHECK(Lstat(t.dest("existingdir")).st_uid == 500);
    CHECK(Lstat(t.dest("existingdir/existingsubdir")).st_uid == 501);
    CHECK(Lstat(t.dest("existingdir/subdir")).st_uid == 300);
    CHECK(Lstat(t.dest("existingdir/subdir/nestedfile")).st_gid == 400);
  }
}

TEST_CASE("COPY --chown names are looked up in the destination's /etc/passwd and /etc/group",
          "[executor][copy][root]") {
  BT_EXECUTOR_REQUIRE_ROOT();
  Trees t;
  WriteFile(t.ctx("f"), "f");
  WriteFile(t.dest("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n");
  WriteFile(t.dest("etc/group"), "# comment\nroot:x:0:\nstaff:x:50:app\n");
  // The source tree's accounts do not count.
  WriteFile(t.ctx("etc/passwd"), "ctxuser:x:7:7::/:/bin/sh\n");
  const auto chown_as = [&](Owner owner, UnknownOwnerName unknown = UnknownOwnerName::kRoot) {
    CopySpec spec = ContextCopy("f", "/out");
    spec.owner = std::move(owner);
    FileActionOptions options;
    options.unknown_owner_name = unknown;
    return Copy(t, spec, options);
  };
  const auto owner_of = [&] { return std::make_pair(Lstat(t.dest("out")).st_uid, Lstat(t.dest("out")).st_gid); };
  using P = std::pair<uid_t, gid_t>;

  REQUIRE(chown_as(Owner{std::string("app"), std::nullopt}).has_value());
  CHECK(owner_of() == P{1000, 1001});  // the user's primary group
  REQUIRE(chown_as(Owner{std::string("app"), std::string("staff")}).has_value());
  CHECK(owner_of() == P{1000, 50});
  REQUIRE(chown_as(Owner{1000u, std::string("staff")}).has_value());
  CHECK(owner_of() == P{1000, 50});
  REQUIRE(chown_as(Owner{std::string("app"), std::string("nosuchgroup")}).has_value());
  CHECK(owner_of() == P{1000, 1001});  // readUser leaves the user's gid
  REQUIRE(chown_as(Owner{std::string("ctxuser"), std::nullopt}).has_value());
  CHECK(owner_of() == P{0, 0});

  auto unknown_user = chown_as(Owner{std::string("ctxuser"), std::nullopt}, UnknownOwnerName::kError);
  REQUIRE_FALSE(unknown_user.has_value());
  CHECK(unknown_user.error().code == ErrorCode::kNotFound);
  CHECK(unknown_user.error().message == "unable to find user ctxuser: no matching entries in passwd file");
  auto unknown_group = chown_as(Owner{std::string("app"), std::string("wheel")}, UnknownOwnerName::kError);
  REQUIRE_FALSE(unknown_group.has_value());
  CHECK(unknown_group.error().message == "unable to find group wheel: no matching entries in group file");
}

TEST_CASE("CopyCompat::kBuildKitHead: numeric --chmod sets special bits and the mode of made dirs",
          "[executor][copy]") {
  // BuildKit's testCopyChmod (current head) against the reference's copy-chmod case.
  Trees t;
  WriteFile(t.ctx("foo"), "foo", 0600);
  FileActionOptions head;
  head.compat = CopyCompat::kBuildKitHead;
  auto chmod = [](CopySpec c, uint32_t mode) {
    c.mode = mode;
    return c;
  };
  REQUIRE(t.Apply({chmod(ContextCopy("foo", "/parent/foo"), 0777), chmod(ContextCopy("foo", "/parent/sub/foo"), 0770),
                   chmod(ContextCopy("foo", "/setuid"), 04711)},
                  head)
              .has_value());
  CHECK(Perm(t.dest("parent")) == 0777);
  CHECK(Perm(t.dest("parent/sub")) == 0770);
  CHECK(Perm(t.dest("parent/sub/foo")) == 0770);
  CHECK(Perm(t.dest("setuid")) == 04711);
  // The reference: 0711, and directories made on the way stay 0755.
  REQUIRE(t.Apply({chmod(ContextCopy("foo", "/ref/sub/setuid"), 04711)}).has_value());
  CHECK(Perm(t.dest("ref/sub/setuid")) == 0711);
  CHECK(Perm(t.dest("ref/sub")) == 0755);
}

TEST_CASE("the reference's numeric --chmod keeps the source's special bits", "[executor][copy]") {
  Trees t;
  WriteFile(t.ctx("suid"), "s", 04755);
  CopySpec spec = ContextCopy("suid", "/x");
  spec.mode = 0700;
  REQUIRE(Copy(t, spec).has_value());
  CHECK(Perm(t.dest("x")) == 04700);  // (m &^ 0777) | mode&0777, fsutil of BuildKit v0.8
}

TEST_CASE("symbolic --chmod applies to every copied file and directory", "[executor][copy][root]") {
  // testChmodNonOctal's inputs: a file 0666 and a directory 0124 (which only root can read).
  BT_EXECUTOR_REQUIRE_ROOT();
  Trees t;
  WriteFile(t.ctx("in/file"), "f", 0666);
  MakeDir(t.ctx("in/dir"), 0124);
  CopySpec spec = ContextCopy("in", "/out");
  spec.mode_expression = "go-w";
  REQUIRE(Copy(t, spec).has_value());
  CHECK(Perm(t.dest("out/file")) == 0644);
  CHECK(Perm(t.dest("out/dir")) == 0104);
  CHECK(Perm(t.dest("out")) == 0755);  // made by the copy, not copied

  spec.dest = "/out2";
  spec.mode_expression = "a+X";
  REQUIRE(Copy(t, spec).has_value());
  CHECK(Perm(t.dest("out2/file")) == 0666);
  CHECK(Perm(t.dest("out2/dir")) == 0135);

  spec.mode_expression = "u+";  // dchapes-mode accepts an empty permission list
  REQUIRE(Copy(t, spec).has_value());
  spec.mode_expression = "bogus";
  auto r = Copy(t, spec);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("a timestamp sets atime and mtime of everything copied and of directories made",
          "[executor][copy]") {
  Trees t;
  WriteFile(t.ctx("d/f"), "f");
  MakeSymlink(t.ctx("d/l"), "f");
  MakeDir(t.ctx("d/sub"));
  SetMtime(t.ctx("d/f"), 12345);
  SECTION("with a timestamp") {
    CopySpec spec = ContextCopy("d", "/made/on/the/way/");
    spec.timestamp = 1700000000;
    REQUIRE(Copy(t, spec).has_value());
    for (const char* p : {"made", "made/on", "made/on/the", "made/on/the/way", "made/on/the/way/f",
                          "made/on/the/way/l", "made/on/the/way/sub"}) {
      INFO(p);
      CHECK(Lstat(t.dest(p)).st_mtim.tv_sec == 1700000000);
      CHECK(Lstat(t.dest(p)).st_atim.tv_sec == 1700000000);
    }
  }
  SECTION("without one, the source's times are kept") {
    REQUIRE(Copy(t, ContextCopy("d", "/out")).has_value());
    CHECK(Lstat(t.dest("out/f")).st_mtim.tv_sec == 12345);
  }
}

TEST_CASE("include patterns keep the structure below the source (COPY --parents)", "[executor][copy]") {
  // testCopyParents: COPY --parents foo1/foo2/bar / and, in WORKDIR /test, foo1/foo2/ba* .
  Trees t;
  WriteFile(t.ctx("foo1/foo2/bar"), "testing");
  WriteFile(t.ctx("foo1/foo2/baz"), "testing2");
  WriteFile(t.ctx("foo1/other/x"), "x");
  MakeDir(t.ctx("unrelated"));
  CopySpec plain = ContextCopy("/", "/");
  plain.include_patterns = {"foo1/foo2/bar"};
  plain.parents = true;
  CopySpec wildcard = ContextCopy("/", "/test/");
  wildcard.include_patterns = {"foo1/foo2/ba*"};
  wildcard.parents = true;
  REQUIRE(t.Apply({plain, wildcard}).has_value());
  CHECK(ReadFile(t.dest("foo1/foo2/bar")) == "testing");
  CHECK_FALSE(Exists(t.dest("foo1/foo2/baz")));
  CHECK_FALSE(Exists(t.dest("foo1/other")));  // not made: nothing below it was included
  CHECK_FALSE(Exists(t.dest("unrelated")));
  CHECK(ReadFile(t.dest("test/foo1/foo2/bar")) == "testing");
  CHECK(ReadFile(t.dest("test/foo1/foo2/baz")) == "testing2");
}

TEST_CASE("COPY --parents with a /./ pivot keeps only what follows it", "[executor][copy]") {
  // testCopyRelativeParents "middle": COPY --parents /test/a/b/./c/d /out/
  Trees t;
  WriteFile(t.stage("test/a/b/c/d/foo"), "");
  MakeDir(t.stage("test/a/b/c/d/e"));
  CopySpec spec = ContextCopy("/test/a/b", "/out/");
  spec.source = 1;
  spec.include_patterns = {"c/d"};
  spec.parents = true;
  REQUIRE(Copy(t, spec).has_value());
  CHECK(Exists(t.dest("out/c/d/foo")));
  CHECK(fs::is_directory(t.dest("out/c/d/e")));
  CHECK_FALSE(Exists(t.dest("out/a")));
  CHECK_FALSE(Exists(t.dest("out/e")));
}

TEST_CASE("COPY --parents without wildcards requires the path it names", "[executor][copy]") {
  // testCopyParentsMissingDirectory "nonexistentfile" and "wildcard-nonexistent".
  Trees t;
  MakeDir(t.stage("test/a/b/c"));
  CopySpec missing = ContextCopy("/", "/out/");
  missing.source = 1;
  missing.include_patterns = {"test/nonexistent-file"};
  missing.parents = true;
  auto r = Copy(t, missing);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kNotFound);
  CHECK(r.error().message == "\"/test/nonexistent-file\": not found");
  CHECK_FALSE(Exists(t.dest("out")));  // checked before anything is copied

  CopySpec wildcard = missing;
  wildcard.include_patterns = {"test/a/b2*/c"};
  REQUIRE(Copy(t, wildcard).has_value());
  CHECK(fs::is_directory(t.dest("out")));
  CHECK_FALSE(Exists(t.dest("out/test")));
}

TEST_CASE("exclude patterns skip entries, with exceptions, as .dockerignore does", "[executor][copy]") {
  Trees t;
  WriteFile(t.ctx("app.log"), "a");
  WriteFile(t.ctx("keep.log"), "k");
  WriteFile(t.ctx("main.c"), "c");
  WriteFile(t.ctx("tmp/t.txt"), "t");
  WriteFile(t.ctx("docs/a.md"), "a");
  WriteFile(t.ctx("docs/README.md"), "r");
  CopySpec spec = ContextCopy(".", "/ctx");
  spec.exclude_patterns = {"*.log", "!keep.log", "tmp", "docs/*.md", "!docs/README.md"};
  REQUIRE(Copy(t, spec).has_value());
  CHECK_FALSE(Exists(t.dest("ctx/app.log")));
  CHECK(Exists(t.dest("ctx/keep.log")));
  CHECK(Exists(t.dest("ctx/main.c")));
  CHECK_FALSE(Exists(t.dest("ctx/tmp")));
  CHECK_FALSE(Exists(t.dest("ctx/docs/a.md")));
  CHECK(Exists(t.dest("ctx/docs/README.md")));
}

TEST_CASE("existing entries: files are replaced, directories merged, types never silently swapped",
          "[executor][copy]") {
  // testCopyOverrideFiles, and fsutil's ensureEmptyFileTarget / copyDirectoryOnly errors.
  Trees t;
  WriteFile(t.ctx("sub/dir1/dir2/foo"), "foo-contents");
  WriteFile(t.ctx("files/foo.go"), "foo.go-contents");
  REQUIRE(t.Apply({ContextCopy("sub", "sub"), ContextCopy("sub", "sub"), ContextCopy("files/foo.go", "dest/foo.go"),
                   ContextCopy("files/foo.go", "dest/foo.go"), ContextCopy("files", "dest")})
              .has_value());
  CHECK(ReadFile(t.dest("sub/dir1/dir2/foo")) == "foo-contents");
  CHECK(ReadFile(t.dest("dest/foo.go")) == "foo.go-contents");

  WriteFile(t.dest("keep/old"), "old");
  WriteFile(t.ctx("more/new"), "new");
  REQUIRE(Copy(t, ContextCopy("more", "/keep")).has_value());
  CHECK(ReadFile(t.dest("keep/old")) == "old");
  CHECK(ReadFile(t.dest("keep/new")) == "new");

  MakeDir(t.dest("clash/x"));
  WriteFile(t.ctx("c/x"), "file");
  auto file_on_dir = Copy(t, ContextCopy("c", "/clash"));
  REQUIRE_FALSE(file_on_dir.has_value());
  CHECK(file_on_dir.error().code == ErrorCode::kFailedPrecondition);
  CHECK(file_on_dir.error().message == "cannot replace to directory /clash/x with file");

  WriteFile(t.dest("clash2/x"), "file");
  MakeDir(t.ctx("c2/x"));
  auto dir_on_file = Copy(t, ContextCopy("c2", "/clash2"));
  REQUIRE_FALSE(dir_on_file.has_value());
  CHECK(dir_on_file.error().message == "cannot copy to non-directory: /clash2/x");

  CopySpec replace = ContextCopy("c", "/clash");
  replace.always_replace_existing = true;
  REQUIRE(Copy(t, replace).has_value());
  CHECK(ReadFile(t.dest("clash/x")) == "file");
  replace = ContextCopy("c2", "/clash2");
  replace.always_replace_existing = true;
  REQUIRE(Copy(t, replace).has_value());
  CHECK(fs::is_directory(t.dest("clash2/x")));
}

TEST_CASE("without copy_dir_contents a directory is copied as itself", "[executor][copy]") {
  Trees t;
  WriteFile(t.ctx("d/f"), "f");
  REQUIRE(::chmod(t.ctx("d").c_str(), 0700) == 0);
  MakeDir(t.dest("existing"));
  CopySpec into = ContextCopy("d", "/existing");
  into.copy_dir_contents = false;
  CopySpec as = ContextCopy("d", "/new");
  as.copy_dir_contents = false;
  REQUIRE(t.Apply({into, as}).has_value());
  CHECK(ReadFile(t.dest("existing/d/f")) == "f");
  CHECK(ReadFile(t.dest("new/f")) == "f");
  CHECK(Perm(t.dest("new")) == 0700);  // created by copying: the source's mode
}

TEST_CASE("create_dest_path=false requires the destination's parent", "[executor][copy]") {
  Trees t;
  WriteFile(t.ctx("f"), "f");
  CopySpec spec = ContextCopy("f", "/nope/x");
  spec.create_dest_path = false;
  auto r = Copy(t, spec);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kNotFound);
  CHECK_THAT(Describe(r.error()), Contains("failed to stat /nope/x") && Contains("lstat /nope"));
  MakeDir(t.dest("yes"));
  spec.dest = "/yes/x";
  REQUIRE(Copy(t, spec).has_value());
  CHECK(ReadFile(t.dest("yes/x")) == "f");
}

TEST_CASE("a scratch source is empty and an unknown source index is refused", "[executor][copy]") {
  Trees t;
  CopySpec scratch = ContextCopy("x", "/");
  scratch.source = kScratch;
  auto r = Copy(t, scratch);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message == "lstat /x: no such file or directory");
  scratch.source = 7;
  auto bad = Copy(t, scratch);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("errors carry the action they come from", "[executor][copy]") {
  Trees t;
  auto r = Copy(t, ContextCopy("missing", "/dst/"));
  REQUIRE_FALSE(r.has_value());
  REQUIRE(r.error().context.size() == 1);
  CHECK(r.error().context[0] == "copy missing to /dst/");
}

}  // namespace
}  // namespace bt::executor::test
