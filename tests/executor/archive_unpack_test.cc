// Tests for ADD of local archives (executor/fileop/archive_unpack.h through ApplyFileActions).
// Expected values follow BuildKit's unpack.go and moby/go-archive's Untar, and the
// integration tests named in each case (frontend/dockerfile/dockerfile_add_test.go);
// SECURITY.md case 25 for what is never unpacked.
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

enum class RawFormat { kZip, kSevenZip, kCpio };

// An archive of another format, or `data` compressed without a tar inside.
void WriteOther(const std::string& path, RawFormat format) {
  struct archive* a = archive_write_new();
  if (format == RawFormat::kZip) REQUIRE(archive_write_set_format_zip(a) == ARCHIVE_OK);
  if (format == RawFormat::kSevenZip) REQUIRE(archive_write_set_format_7zip(a) == ARCHIVE_OK);
  if (format == RawFormat::kCpio) REQUIRE(archive_write_set_format_cpio(a) == ARCHIVE_OK);
  REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "inner.txt");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, 5);
  REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
  REQUIRE(archive_write_data(a, "inner", 5) == 5);
  archive_entry_free(e);
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
}

void WriteGzipOf(const std::string& path, const std::string& data) {
  struct archive* a = archive_write_new();
  REQUIRE(archive_write_set_format_raw(a) == ARCHIVE_OK);
  REQUIRE(archive_write_add_filter_gzip(a) == ARCHIVE_OK);
  REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_filetype(e, AE_IFREG);
  REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
  REQUIRE(archive_write_data(a, data.data(), data.size()) == static_cast<la_ssize_t>(data.size()));
  archive_entry_free(e);
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
}

TEST_CASE("tar archives are recognised by content, plain or gzip, bzip2, xz, zstd", "[executor][add]") {
  const std::pair<TarCompression, const char*> kinds[] = {
      {TarCompression::kNone, "none"}, {TarCompression::kGzip, "gzip"}, {TarCompression::kBzip2, "bzip2"},
      {TarCompression::kXz, "xz"},     {TarCompression::kZstd, "zstd"}};
  for (const auto& [compression, name] : kinds) {
    INFO(name);
    Trees t;
    WriteTar(t.ctx("archive.bin"), {TarFile("f", name)}, compression);
    REQUIRE(t.Apply({AddSpec("archive.bin", "/out/")}).has_value());
    CHECK(ReadFile(t.dest("out/f")) == name);
    CHECK_FALSE(Exists(t.dest("out/archive.bin")));
  }
}

TEST_CASE("only tar is unpacked: zip, 7z, cpio, compressed non-tar and plain files are copied",
          "[executor][add]") {
  Trees t;
  WriteOther(t.ctx("a.zip"), RawFormat::kZip);
  WriteOther(t.ctx("a.7z"), RawFormat::kSevenZip);
  WriteOther(t.ctx("a.cpio"), RawFormat::kCpio);
  WriteGzipOf(t.ctx("text.gz"), "just text, not a tar");
  WriteFile(t.ctx("not-a-tar.tar.gz"), "plain");
  WriteFile(t.ctx("empty.tar"), "");
  WriteTar(t.ctx("tar-named.zip"), {TarFile("from-tar", "t")});
  for (const char* f : {"a.zip", "a.7z", "a.cpio", "text.gz", "not-a-tar.tar.gz", "empty.tar", "tar-named.zip"}) {
    REQUIRE(t.Apply({AddSpec(f, "/out/")}).has_value());
  }
  for (const char* f : {"a.zip", "a.7z", "a.cpio", "text.gz", "not-a-tar.tar.gz", "empty.tar"}) {
    INFO(f);
    CHECK(ReadFile(t.dest(std::string("out/") + f)) == ReadFile(t.ctx(f)));
  }
  CHECK_FALSE(Exists(t.dest("out/inner.txt")));
  CHECK(ReadFile(t.dest("out/from-tar")) == "t");
  CHECK_FALSE(Exists(t.dest("out/tar-named.zip")));
}

TEST_CASE("entries keep the archive's owners, modes and times, and '.' leaves the destination alone",
          "[executor][add][root]") {
  BT_EXECUTOR_REQUIRE_ROOT();
  Trees t;
  TarEntry dot = TarDir("./", 0700);
  dot.uid = 1000;
  TarEntry dir = TarDir("dir/", 0750);
  dir.mtime = 1000000;
  dir.uid = 1000;
  dir.gid = 2000;
  TarEntry file = TarFile("dir/f", "data", 04755);
  file.uid = 1000;
  file.gid = 2000;
  file.mtime = 2000000;
  TarEntry link = TarSymlink("link", "dir/f");
  link.uid = 1000;
  TarEntry fifo;
  fifo.name = "fifo";
  fifo.kind = EntryKind::kFifo;
  fifo.perm = 0640;
  // A hard-link header carries its target's metadata, as tar writes it; go-archive applies
  // the header to the linked inode, so a different one would change dir/f.
  TarEntry hl = TarHardlink("hl", "dir/f");
  hl.perm = file.perm;
  hl.uid = file.uid;
  hl.gid = file.gid;
  hl.mtime = file.mtime;
  WriteTar(t.ctx("a.tar"), {dot, dir, file, link, hl, fifo});
  REQUIRE(t.Apply({AddSpec("a.tar", "/out")}).has_value());
  CHECK(Perm(t.dest("out")) == 0755);  // made by the ADD; "./" is skipped
  CHECK(Lstat(t.dest("out")).st_uid == 0);
  CHECK(Perm(t.dest("out/dir")) == 0750);
  CHECK(Lstat(t.dest("out/dir")).st_gid == 2000);
  CHECK(Lstat(t.dest("out/dir")).st_mtim.tv_sec == 1000000);  // set after dir/f went in
  CHECK(Perm(t.dest("out/dir/f")) == 04755);
  CHECK(Lstat(t.dest("out/dir/f")).st_uid == 1000);
  CHECK(Lstat(t.dest("out/dir/f")).st_mtim.tv_sec == 2000000);
  CHECK(LinkTarget(t.dest("out/link")) == "dir/f");
  CHECK(Lstat(t.dest("out/link")).st_uid == 1000);
  CHECK(Lstat(t.dest("out/hl")).st_ino == Lstat(t.dest("out/dir/f")).st_ino);
  CHECK(S_ISFIFO(Lstat(t.dest("out/fifo")).st_mode));
  CHECK(Perm(t.dest("out/fifo")) == 0640);
}

TEST_CASE("parent directories the archive does not list are made 0755", "[executor][add]") {
  // testDockerfileAddArchiveWithImpliedParentDir
  Trees t;
  WriteTar(t.ctx("t.tar.gz"), {TarDir("etc/dnf/"), TarFile("etc/dnf/dnf.conf", "content0"), TarFile("a/b/c.txt", "c")},
           TarCompression::kGzip);
  REQUIRE(t.Apply({AddSpec("t.tar.gz", "/")}).has_value());
  CHECK(ReadFile(t.dest("etc/dnf/dnf.conf")) == "content0");
  CHECK(ReadFile(t.dest("a/b/c.txt")) == "c");
  CHECK(Perm(t.dest("a")) == 0755);
  CHECK(Perm(t.dest("a/b")) == 0755);
}

TEST_CASE("extraction follows absolute symlinks inside the destination", "[executor][add]") {
  // testDockerfileAddArchiveThroughAbsoluteSymlink: var/run -> /run, then var/run/act/...
  Trees t;
  WriteTar(t.ctx("rootfs.tar"), {TarDir("run/"), TarDir("var/"), TarSymlink("var/run", "/run")});
  WriteTar(t.ctx("payload.tar"),
           {TarDir("var/run/act/"), TarDir("var/run/act/actions/"), TarDir("var/run/act/actions/broad/"),
            TarDir("var/run/act/actions/broad/.git/"),
            TarFile("var/run/act/actions/broad/.git/HEAD", "ref: refs/heads/main\n"),
            TarHardlink("var/run/act/actions/broad/.git/HEAD.link", "var/run/act/actions/broad/.git/HEAD")});
  REQUIRE(t.Apply({AddSpec("rootfs.tar", "/"), AddSpec("payload.tar", "/")}).has_value());
  CHECK(ReadFile(t.dest("run/act/actions/broad/.git/HEAD")) == "ref: refs/heads/main\n");
  CHECK(Lstat(t.dest("run/act/actions/broad/.git/HEAD.link")).st_ino ==
        Lstat(t.dest("run/act/actions/broad/.git/HEAD")).st_ino);
  CHECK(LinkTarget(t.dest("var/run")) == "/run");

  SECTION("the destination directory is the root, as BuildKit's chroot makes it") {
    REQUIRE(t.Apply({AddSpec("rootfs.tar", "/app/"), AddSpec("payload.tar", "/app/")}).has_value());
    CHECK(ReadFile(t.dest("app/run/act/actions/broad/.git/HEAD")) == "ref: refs/heads/main\n");
  }
}

TEST_CASE("existing entries are replaced unless both are directories, which merge", "[executor][add]") {
  Trees t;
  WriteFile(t.dest("out/was-file"), "old");
  WriteFile(t.dest("out/merged/old"), "old");
  WriteFile(t.dest("out/was-dir/inside"), "old");
  WriteTar(t.ctx("a.tar"), {TarDir("was-file/"), TarFile("was-file/new", "n"), TarDir("merged/"),
                            TarFile("merged/new", "n"), TarFile("was-dir", "now a file")});
  REQUIRE(t.Apply({AddSpec("a.tar", "/out/")}).has_value());
  CHECK(ReadFile(t.dest("out/was-file/new")) == "n");
  CHECK(ReadFile(t.dest("out/merged/old")) == "old");
  CHECK(ReadFile(t.dest("out/merged/new")) == "n");
  CHECK(ReadFile(t.dest("out/was-dir")) == "now a file");
}

TEST_CASE("ADD --chown owns the made destination, and the entries only with CopyCompat::kBuildKitHead",
          "[executor][add][root]") {
  // Reference: add-tar-extract's /owned; head: testDockerfileAddChownArchive (out/ and out/foo).
  BT_EXECUTOR_REQUIRE_ROOT();
  Trees t;
  WriteTar(t.ctx("t.tar"), {TarFile("foo", "content0"), TarFile("implied/bar", "b")});
  CopySpec spec = AddSpec("t.tar", "/out/");
  spec.owner = Owner{100u, 200u};
  SECTION("reference") {
    REQUIRE(t.Apply({spec}).has_value());
    CHECK(Lstat(t.dest("out")).st_uid == 100);
    CHECK(Lstat(t.dest("out/foo")).st_uid == 0);
  }
  SECTION("head") {
    FileActionOptions head;
    head.compat = CopyCompat::kBuildKitHead;
    REQUIRE(t.Apply({spec}, head).has_value());
    CHECK(Lstat(t.dest("out")).st_uid == 100);
    CHECK(Lstat(t.dest("out/foo")).st_uid == 100);
    CHECK(Lstat(t.dest("out/foo")).st_gid == 200);
    CHECK(Lstat(t.dest("out/implied")).st_uid == 0);  // implied directories stay root's
  }
}

TEST_CASE("a wildcard ADD unpacks every matching archive", "[executor][add]") {
  // testDockerfileAddArchiveWildcard: ADD *.tar /dest
  Trees t;
  WriteTar(t.ctx("t.tar"), {TarFile("foo", "content0")});
  WriteTar(t.ctx("b.tar"), {TarFile("bar", "content1")});
  REQUIRE(t.Apply({AddSpec("*.tar", "/dest")}).has_value());
  CHECK(ReadFile(t.dest("dest/foo")) == "content0");
  CHECK(ReadFile(t.dest("dest/bar")) == "content1");
}

TEST_CASE("a truncated archive fails naming the archive", "[executor][add]") {
  Trees t;
  WriteTar(t.ctx("t.tar"), {TarFile("a", std::string(4096, 'a')), TarFile("b", std::string(4096, 'b'))});
  fs::resize_file(t.ctx("t.tar"), 512 + 1024);
  auto r = t.Apply({AddSpec("t.tar", "/out/")});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(Describe(r.error()), Contains("unpack /t.tar"));
}

}  // namespace
}  // namespace bt::executor::test
