// Hostile trees and archives against executor/fileop (SECURITY.md cases 19-23): symlinks in
// the destination and in the source that point out of their tree, `..` and absolute paths,
// archives with escaping names, links through symlinks and hard links to outside. Each case
// must fail clearly or stay contained; in every case the sentinel directory next to the
// trees (Trees::outside(), holding a secret token) is unchanged afterwards and its token is
// nowhere in the destination.
#include <catch2/catch.hpp>
#include <string>

#include "tests/executor/file_tree_fixture.h"

namespace bt::executor::test {
namespace {

using Catch::Matchers::Contains;

CopySpec AddSpec(std::string src, std::string dest) {
  CopySpec c = ContextCopy(std::move(src), std::move(dest));
  c.unpack_archive = true;
  return c;
}

TEST_CASE("destination symlinks to the host or above the root are followed in-root only",
          "[executor][adversarial]") {
  Trees t;
  WriteFile(t.ctx("f"), "payload");
  MakeDir(t.ctx("d"));
  WriteFile(t.ctx("d/inner"), "inner payload");
  // Absolute links to the sentinel's host path, relative links climbing past the root, and
  // the rootfs root itself.
  MakeSymlink(t.dest("abs"), t.outside());
  MakeSymlink(t.dest("up"), "../../../../../../../../..");
  MakeSymlink(t.dest("etc"), "/");
  MakeSymlink(t.dest("secretlink"), t.outside("secret.txt"));

  MkdirSpec mkdir;
  mkdir.path = "/up/made";
  mkdir.make_parents = true;
  MkfileSpec mkfile;
  mkfile.path = "/secretlink";
  mkfile.data = "overwritten?";
  SymlinkSpec symlink;
  symlink.target = "/x";
  symlink.linkpath = "/abs/planted";
  REQUIRE(t.Apply({ContextCopy("f", "/abs/"), ContextCopy("d", "/up/"), ContextCopy("f", "/etc/passwd"), mkdir,
                   mkfile, symlink})
              .has_value());
  // All of it landed inside dest/, at the in-root meaning of each link.
  CHECK(ReadFile(t.dest(t.outside("f").substr(1))) == "payload");
  CHECK(ReadFile(t.dest("inner")) == "inner payload");  // "up" is the root itself
  CHECK(ReadFile(t.dest("passwd")) == "payload");       // /etc -> / : /passwd
  CHECK(fs::is_directory(t.dest("made")));
  CHECK(ReadFile(t.dest(t.outside("secret.txt").substr(1))) == "overwritten?");
  CHECK(LinkTarget(t.dest(t.outside("planted").substr(1))) == "/x");
  CHECK(LinkTarget(t.dest("secretlink")) == t.outside("secret.txt"));
  // rm through "up" (the root itself) removes the in-root file of that name.
  RmSpec rm;
  rm.path = "/up/" + t.outside("secret.txt").substr(1);
  REQUIRE(t.Apply({rm}).has_value());
  CHECK_FALSE(Exists(t.dest(t.outside("secret.txt").substr(1))));
  t.CheckOutsideUntouched();
}

TEST_CASE("copying onto a link in the destination replaces or refuses it, never writes through",
          "[executor][adversarial]") {
  Trees t;
  WriteFile(t.ctx("src/file"), "new");
  MakeDir(t.ctx("src/dir"));
  WriteFile(t.ctx("src/dir/x"), "x");
  MakeDir(t.dest("app"));
  MakeSymlink(t.dest("app/file"), t.outside("secret.txt"));
  MakeSymlink(t.dest("app/dir"), t.outside("dir"));
  auto r = t.Apply({ContextCopy("src", "/app")});
  REQUIRE_FALSE(r.has_value());  // the directory cannot merge into a link
  CHECK(r.error().message == "cannot copy to non-directory: /app/dir");
  // As the destination itself, the link is resolved in-root (fs.RootPath): the file goes to
  // the in-root meaning of the host path, the link stays.
  REQUIRE(t.Apply({ContextCopy("src/file", "/app/file")}).has_value());
  CHECK(fs::is_symlink(t.dest("app/file")));
  CHECK(ReadFile(t.dest(t.outside("secret.txt").substr(1))) == "new");
  // Below a copied directory, the entry replaces the link.
  WriteFile(t.ctx("src2/file"), "newer");
  REQUIRE(t.Apply({ContextCopy("src2", "/app")}).has_value());
  CHECK_FALSE(fs::is_symlink(t.dest("app/file")));
  CHECK(ReadFile(t.dest("app/file")) == "newer");
  CopySpec replace = ContextCopy("src", "/app");
  replace.always_replace_existing = true;
  REQUIRE(t.Apply({replace}).has_value());
  CHECK_FALSE(fs::is_symlink(t.dest("app/dir")));
  CHECK(ReadFile(t.dest("app/dir/x")) == "x");
  t.CheckOutsideUntouched();
}

TEST_CASE("source symlinks out of the context are never followed out of it", "[executor][adversarial]") {
  // SECURITY.md case 19 (BuildKit testLocalSymlinkEscape).
  Trees t;
  MakeSymlink(t.ctx("foo"), t.outside("secret.txt"));
  MakeSymlink(t.ctx("sub/bar"), "../../../outside/secret.txt");
  MakeSymlink(t.ctx("dirlink"), t.outside());
  MakeSymlink(t.ctx("bax"), "bay");
  SECTION("COPY . copies the links as links") {
    REQUIRE(t.Apply({ContextCopy(".", "/dst")}).has_value());
    CHECK(LinkTarget(t.dest("dst/foo")) == t.outside("secret.txt"));
    CHECK(LinkTarget(t.dest("dst/sub/bar")) == "../../../outside/secret.txt");
    CHECK(LinkTarget(t.dest("dst/bax")) == "bay");
  }
  SECTION("a followed link resolves inside the context and finds nothing") {
    for (const char* src : {"foo", "sub/bar", "dirlink", "dirlink/*"}) {
      INFO(src);
      auto r = t.Apply({ContextCopy(src, "/x")});
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == ErrorCode::kNotFound);
    }
  }
  SECTION("ADD of a link to an archive outside does not read it") {
    WriteTar(t.outside("evil.tar"), {TarFile("pwned", "x")});
    MakeSymlink(t.ctx("archive.tar"), t.outside("evil.tar"));
    auto r = t.Apply({AddSpec("archive.tar", "/out/")});
    REQUIRE_FALSE(r.has_value());
    CHECK_FALSE(Exists(t.dest("out/pwned")));
    fs::remove(t.outside("evil.tar"));
  }
  t.CheckOutsideUntouched();
}

TEST_CASE("'..' and absolute sources stay in the source tree", "[executor][adversarial]") {
  // SECURITY.md case 20.
  Trees t;
  WriteFile(t.ctx("ok"), "ok");
  for (const char* src : {"../outside/secret.txt", "/../../outside/secret.txt", "/etc/shadow", "/etc/passwd"}) {
    INFO(src);
    auto r = t.Apply({ContextCopy(src, "/x")});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kNotFound);
    CHECK_THAT(Describe(r.error()), !Contains(t.root()));
  }
  // A wildcard climbing out matches inside the context only (here: nothing).
  REQUIRE(t.Apply({ContextCopy("../*/secret.txt", "/w/")}).has_value());
  CHECK(fs::is_empty(t.dest()));
  // A destination with `..` lands inside the root.
  REQUIRE(t.Apply({ContextCopy("ok", "../../../outside/ok")}).has_value());
  CHECK(ReadFile(t.dest("outside/ok")) == "ok");
  t.CheckOutsideUntouched();
}

TEST_CASE("archive entries that leave the destination are refused", "[executor][adversarial]") {
  // SECURITY.md case 21.
  Trees t;
  for (const char* name : {"../../outside/pwned", "../x", "a/../../x", ".."}) {
    INFO(name);
    WriteTar(t.ctx("evil.tar"), {TarFile("fine", "f"), TarFile(name, "x")});
    auto r = t.Apply({AddSpec("evil.tar", "/out/")});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(Describe(r.error()), Contains(std::string("entry \"") + name + "\"") && Contains("outside of /out"));
  }
  t.CheckOutsideUntouched();
}

TEST_CASE("absolute archive names are taken from the destination, as the chroot does",
          "[executor][adversarial]") {
  Trees t;
  WriteTar(t.ctx("abs.tar"), {TarFile("/abs/file", "a"), TarFile(t.outside("pwned"), "x")});
  REQUIRE(t.Apply({AddSpec("abs.tar", "/out/")}).has_value());
  CHECK(ReadFile(t.dest("out/abs/file")) == "a");
  CHECK(ReadFile(t.dest("out" + t.outside("pwned"))) == "x");
  t.CheckOutsideUntouched();
}

TEST_CASE("a symlink entry followed by entries through it stays inside the destination",
          "[executor][adversarial]") {
  // SECURITY.md cases 21-22: `a` -> host path, then `a/evil`; `up` -> ../../.., then `up/evil`.
  Trees t;
  WriteTar(t.ctx("links.tar"), {TarSymlink("a", t.outside()), TarFile("a/evil", "e1"),
                                TarSymlink("up", "../../../../.."), TarFile("up/evil2", "e2"),
                                TarSymlink("sec", t.outside("secret.txt")), TarFile("sec", "replaced")});
  REQUIRE(t.Apply({AddSpec("links.tar", "/out/")}).has_value());
  CHECK(LinkTarget(t.dest("out/a")) == t.outside());  // stored verbatim
  CHECK(ReadFile(t.dest("out" + t.outside("evil"))) == "e1");
  CHECK(ReadFile(t.dest("out/evil2")) == "e2");  // "up" is the destination directory itself
  CHECK(ReadFile(t.dest("out/sec")) == "replaced");  // the link was replaced, not written through
  t.CheckOutsideUntouched();
}

TEST_CASE("hard links in an archive cannot reach outside the destination", "[executor][adversarial]") {
  Trees t;
  SECTION("a target climbing out is refused") {
    WriteTar(t.ctx("h.tar"), {TarHardlink("h", "../../outside/secret.txt")});
    auto r = t.Apply({AddSpec("h.tar", "/out/")});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
  }
  SECTION("an absolute target names a path in the destination, which does not exist") {
    WriteTar(t.ctx("h.tar"), {TarHardlink("h", t.outside("secret.txt"))});
    auto r = t.Apply({AddSpec("h.tar", "/out/")});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(Describe(r.error()), Contains("which is not in the archive's destination"));
  }
  SECTION("a target through a symlink to the host resolves in-root") {
    WriteTar(t.ctx("h.tar"), {TarSymlink("l", t.outside()), TarHardlink("h", "l/secret.txt")});
    auto r = t.Apply({AddSpec("h.tar", "/out/")});
    REQUIRE_FALSE(r.has_value());
    CHECK_FALSE(Exists(t.dest("out/h")));
  }
  t.CheckOutsideUntouched();
}

TEST_CASE("an entry named '.' or '/' does not replace the destination", "[executor][adversarial]") {
  // umoci CVE-2021-29136: `.` as a symlink moved later entries onto the host.
  Trees t;
  WriteTar(t.ctx("dot.tar"), {TarSymlink(".", t.outside()), TarSymlink("/", t.outside()), TarFile("after", "a")});
  REQUIRE(t.Apply({AddSpec("dot.tar", "/out/")}).has_value());
  CHECK(fs::is_directory(t.dest("out")));
  CHECK_FALSE(fs::is_symlink(t.dest("out")));
  CHECK(ReadFile(t.dest("out/after")) == "a");
  t.CheckOutsideUntouched();
}

TEST_CASE("metadata is never applied through a link that replaced an entry", "[executor][adversarial]") {
  // SECURITY.md case 23: a directory with deferred times, later replaced by a link to the host.
  Trees t;
  TarEntry dir = TarDir("d/", 0700);
  dir.mtime = 1;
  WriteTar(t.ctx("swap.tar"), {dir, TarFile("d/f", "f"), TarSymlink("d", t.outside("dir"))});
  REQUIRE(t.Apply({AddSpec("swap.tar", "/out/")}).has_value());
  CHECK(LinkTarget(t.dest("out/d")) == t.outside("dir"));
  t.CheckOutsideUntouched();
}

TEST_CASE("owner names are read from the destination's /etc, never through a link to the host's",
          "[executor][adversarial]") {
  Trees t;
  WriteFile(t.outside("etc/passwd"), "evil:x:4242:4242::/:/bin/sh\n");
  MakeSymlink(t.dest("etc"), t.outside("etc"));
  WriteFile(t.ctx("f"), "f");
  CopySpec spec = ContextCopy("f", "/x");
  spec.owner = Owner{std::string("evil"), std::nullopt};
  FileActionOptions strict;
  strict.unknown_owner_name = UnknownOwnerName::kError;
  auto r = t.Apply({spec}, strict);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message == "unable to find user evil: no matching entries in passwd file");
  fs::remove_all(t.outside("etc"));
  t.CheckOutsideUntouched();
}

TEST_CASE("a passwd file that is not a regular file or too large is refused", "[executor][adversarial]") {
  Trees t;
  WriteFile(t.ctx("f"), "f");
  CopySpec spec = ContextCopy("f", "/x");
  spec.owner = Owner{std::string("app"), std::nullopt};
  MakeDir(t.dest("etc"));
  REQUIRE(::mkfifo(t.dest("etc/passwd").c_str(), 0644) == 0);  // would block a plain open
  auto fifo = t.Apply({spec});
  REQUIRE_FALSE(fifo.has_value());
  CHECK(fifo.error().message == "/etc/passwd is not a regular file");
  fs::remove(t.dest("etc/passwd"));
  WriteFile(t.dest("etc/passwd"), std::string((10 << 20) + 1, '#'));
  auto big = t.Apply({spec});
  REQUIRE_FALSE(big.has_value());
  CHECK_THAT(big.error().message, Contains("exceeds 10485760 bytes"));
}

}  // namespace
}  // namespace bt::executor::test
