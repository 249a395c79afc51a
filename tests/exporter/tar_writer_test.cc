// TarWriter: the bytes follow the ustar layout of POSIX (pax(1), "ustar Interchange Format")
// and its PAX extended headers, checked field by field against the specification here, and
// the streams are read back by two independent readers: libarchive and GNU tar.
#include "exporter/tar_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"

namespace bt::exporter {
namespace {

class StringSink : public TarSink {
 public:
  Result<void> Write(std::string_view bytes) override {
    data.append(bytes);
    return {};
  }
  std::string data;
};

class FailingSink : public TarSink {
 public:
  Result<void> Write(std::string_view) override {
    return MakeError(ErrorCode::kIo, "disk full");
  }
};

// A NUL-terminated (or full) field of a header block.
std::string Field(const std::string& block, std::size_t offset, std::size_t size) {
  const std::string f = block.substr(offset, size);
  return f.substr(0, f.find('\0'));
}

// The header checksum as POSIX defines it: the sum of the block's bytes as unsigned, with the
// checksum field itself counted as eight spaces.
unsigned long Checksum(std::string block) {
  for (std::size_t i = 148; i < 156; ++i) block[i] = ' ';
  unsigned long sum = 0;
  for (unsigned char c : block) sum += c;
  return sum;
}

struct Archive {
  std::string bytes;
};

Archive Write(const std::vector<std::pair<TarEntry, std::string>>& entries) {
  StringSink sink;
  TarWriter tar(sink);
  for (const auto& [entry, content] : entries) {
    REQUIRE(tar.WriteHeader(entry).has_value());
    if (!content.empty()) REQUIRE(tar.WriteData(content).has_value());
  }
  REQUIRE(tar.Finish().has_value());
  CHECK(tar.bytes_written() == sink.data.size());
  return Archive{sink.data};
}

struct Seen {
  std::string path;
  int type = 0;
  unsigned mode = 0;
  long long uid = 0;
  long long gid = 0;
  long long mtime = 0;
  long nsec = 0;
  std::string data;
  std::string symlink;
  std::string hardlink;
  unsigned dev_major = 0;
  unsigned dev_minor = 0;
  std::map<std::string, std::string> xattrs;
};

std::vector<Seen> ReadWithLibarchive(const std::string& bytes) {
  std::vector<Seen> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_memory(a, bytes.data(), bytes.size()) == ARCHIVE_OK);
  archive_entry* e = nullptr;
  int rc;
  // ARCHIVE_WARN: a UTF-8 name that the C locale cannot convert, read all the same.
  while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    if (rc == ARCHIVE_WARN) INFO(archive_error_string(a));
    Seen s;
    s.path = archive_entry_pathname(e) != nullptr ? archive_entry_pathname(e)
                                                   : archive_entry_pathname_utf8(e);
    s.type = static_cast<int>(archive_entry_filetype(e));
    s.mode = archive_entry_perm(e);
    s.uid = archive_entry_uid(e);
    s.gid = archive_entry_gid(e);
    s.mtime = archive_entry_mtime(e);
    s.nsec = archive_entry_mtime_nsec(e);
    if (archive_entry_symlink(e) != nullptr) s.symlink = archive_entry_symlink(e);
    if (archive_entry_hardlink(e) != nullptr) s.hardlink = archive_entry_hardlink(e);
    s.dev_major = archive_entry_rdevmajor(e);
    s.dev_minor = archive_entry_rdevminor(e);
    archive_entry_xattr_reset(e);
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      s.xattrs[name] = std::string(static_cast<const char*>(value), size);
    }
    char buf[4096];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) s.data.append(buf, static_cast<size_t>(n));
    out.push_back(std::move(s));
  }
  CHECK(rc == ARCHIVE_EOF);
  archive_read_free(a);
  return out;
}

// `tar -tv --numeric-owner --full-time` of the archive, one line per entry (GNU tar).
std::vector<std::string> ListWithGnuTar(const std::string& bytes) {
  TempDir dir = *TempDir::Create("", "bt-tar-writer.");
  const std::string path = dir.path() + "/a.tar";
  std::ofstream(path, std::ios::binary) << bytes;
  // Literal: the names as bytes, whatever the locale (C quotes UTF-8 as octal escapes).
  const std::string cmd = "tar --numeric-owner --full-time --quoting-style=literal -tvf " + path + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string text;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) text.append(buf, n);
  CHECK(::pclose(p) == 0);
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TarEntry File(std::string path, std::uint64_t size) {
  TarEntry e;
  e.path = std::move(path);
  e.type = TarType::kRegular;
  e.mode = 0644;
  e.size = size;
  e.mtime_sec = 1700000000;
  return e;
}

TEST_CASE("a plain file is one ustar header block, its content padded to 512, and two zero "
          "blocks",
          "[exporter][tar]") {
  TarEntry e = File("dir/hello.txt", 5);
  e.uid = 1000;
  e.gid = 100;
  const Archive a = Write({{e, "hello"}});
  REQUIRE(a.bytes.size() == 512 + 512 + 1024);  // not padded to a 10 KiB record
  const std::string h = a.bytes.substr(0, 512);
  CHECK(Field(h, 0, 100) == "dir/hello.txt");
  CHECK(Field(h, 100, 8) == "0000644");   // 7 octal digits and a NUL
  CHECK(Field(h, 108, 8) == "0001750");   // uid 1000
  CHECK(Field(h, 116, 8) == "0000144");   // gid 100
  CHECK(Field(h, 124, 12) == "00000000005");
  CHECK(Field(h, 136, 12) == "14524770400");  // 1700000000
  CHECK(h[156] == '0');
  CHECK(h.substr(257, 6) == std::string("ustar\0", 6));
  CHECK(h.substr(263, 2) == "00");
  CHECK(Field(h, 265, 32).empty());  // no user or group names: ids only
  CHECK(Field(h, 329, 8) == "0000000");
  CHECK(Field(h, 337, 8) == "0000000");
  CHECK(Field(h, 345, 155).empty());
  // Six octal digits, a NUL, a space.
  char want[8];
  std::snprintf(want, sizeof want, "%06lo", Checksum(h));
  CHECK(h.substr(148, 8) == std::string(want) + std::string("\0 ", 2));
  CHECK(a.bytes.substr(512, 5) == "hello");
  CHECK(a.bytes.substr(517) == std::string(512 - 5 + 1024, '\0'));
  const std::vector<Seen> seen = ReadWithLibarchive(a.bytes);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].path == "dir/hello.txt");
  CHECK(seen[0].data == "hello");
  CHECK(seen[0].uid == 1000);
  CHECK(seen[0].gid == 100);
}

TEST_CASE("every entry type reads back the same with libarchive and GNU tar", "[exporter][tar]") {
  TarEntry dir;
  dir.path = "d/";
  dir.type = TarType::kDirectory;
  dir.mode = 01755;
  dir.mtime_sec = 1600000000;
  TarEntry file = File("d/f", 3);
  file.mode = 04755;
  TarEntry hard;
  hard.path = "d/g";
  hard.type = TarType::kHardLink;
  hard.link_target = "d/f";
  hard.mode = 04755;
  TarEntry sym;
  sym.path = "d/s";
  sym.type = TarType::kSymlink;
  sym.link_target = "../etc/passwd";
  sym.mode = 0777;
  TarEntry chr;
  chr.path = "d/null";
  chr.type = TarType::kCharDevice;
  chr.mode = 0666;
  chr.dev_major = 1;
  chr.dev_minor = 3;
  TarEntry blk = chr;
  blk.path = "d/sda";
  blk.type = TarType::kBlockDevice;
  blk.dev_major = 8;
  blk.dev_minor = 0;
  TarEntry fifo;
  fifo.path = "d/p";
  fifo.type = TarType::kFifo;
  fifo.mode = 0600;
  const Archive a =
      Write({{dir, ""}, {file, "abc"}, {hard, ""}, {sym, ""}, {chr, ""}, {blk, ""}, {fifo, ""}});

  const std::vector<Seen> seen = ReadWithLibarchive(a.bytes);
  REQUIRE(seen.size() == 7);
  CHECK(seen[0].path == "d/");
  CHECK(seen[0].type == AE_IFDIR);
  CHECK(seen[0].mode == 01755);
  CHECK(seen[0].mtime == 1600000000);
  CHECK(seen[1].type == AE_IFREG);
  CHECK(seen[1].mode == 04755);
  CHECK(seen[1].data == "abc");
  CHECK(seen[2].hardlink == "d/f");
  CHECK(seen[3].type == AE_IFLNK);
  CHECK(seen[3].symlink == "../etc/passwd");
  CHECK(seen[4].type == AE_IFCHR);
  CHECK(seen[4].dev_major == 1);
  CHECK(seen[4].dev_minor == 3);
  CHECK(seen[5].type == AE_IFBLK);
  CHECK(seen[5].dev_major == 8);
  CHECK(seen[6].type == AE_IFIFO);

  const std::vector<std::string> lines = ListWithGnuTar(a.bytes);
  REQUIRE(lines.size() == 7);
  CHECK(lines[0].rfind("drwxr-xr-t 0/0", 0) == 0);
  CHECK(lines[1].rfind("-rwsr-xr-x 0/0", 0) == 0);
  CHECK(lines[2].find("d/g link to d/f") != std::string::npos);
  CHECK(lines[3].find("d/s -> ../etc/passwd") != std::string::npos);
  CHECK(lines[4].rfind("crw-rw-rw- 0/0", 0) == 0);
  CHECK(lines[4].find("1,3") != std::string::npos);
  CHECK(lines[5].rfind("brw-rw-rw- 0/0", 0) == 0);
  CHECK(lines[6].rfind("prw------- 0/0", 0) == 0);
}

TEST_CASE("a long path splits into the ustar prefix when it can, and takes a PAX record when "
          "it cannot",
          "[exporter][tar]") {
  // 60 + 1 + 60 bytes: over 100, with a slash that leaves both halves within their fields.
  const std::string splittable = std::string(60, 'p') + "/" + std::string(60, 'n');
  // One 120-byte component: no slash to split at.
  const std::string unsplittable = "x/" + std::string(120, 'u');
  const Archive a = Write({{File(splittable, 0), ""}, {File(unsplittable, 0), ""}});

  const std::string first = a.bytes.substr(0, 512);
  CHECK(first[156] == '0');  // no extended header before it
  CHECK(Field(first, 345, 155) == std::string(60, 'p'));
  CHECK(Field(first, 0, 100) == std::string(60, 'n'));

  const std::string x = a.bytes.substr(512, 512);
  CHECK(x[156] == 'x');
  CHECK(Field(x, 0, 100) == "x/PaxHeaders.0/" + std::string(85, 'u'));  // cut at 100 bytes
  // "LEN path=VALUE\n": 4 + 122 + 3 = 129 bytes without the length, 3 digits more: 132.
  const std::string record = "132 path=" + unsplittable + "\n";
  CHECK(Field(x, 124, 12) == "00000000204");  // 132 in octal
  CHECK(a.bytes.substr(1024, record.size()) == record);
  const std::string main = a.bytes.substr(1536, 512);
  CHECK(main[156] == '0');
  CHECK(Field(main, 0, 100) == unsplittable.substr(0, 100));
  CHECK(Field(main, 345, 155).empty());

  const std::vector<Seen> seen = ReadWithLibarchive(a.bytes);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].path == splittable);
  CHECK(seen[1].path == unsplittable);
  const std::vector<std::string> lines = ListWithGnuTar(a.bytes);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find(splittable) != std::string::npos);
  CHECK(lines[1].find(unsplittable) != std::string::npos);
}

TEST_CASE("PAX records carry what ustar cannot: UTF-8 names, big ids, nanoseconds, xattrs",
          "[exporter][tar]") {
  TarEntry e = File("caf\xc3\xa9/\xe2\x9c\x93.txt", 2);
  e.uid = 3000000;  // over 07777777
  e.gid = 5;
  e.mtime_nsec = 500000000;
  e.xattrs = {{"user.note", std::string("a\0b", 3)}, {"security.capability", "\x01\x02"}};
  const Archive a = Write({{e, "ok"}});

  // Sorted by key: SCHILY.* before mtime, path, uid (ASCII order).
  const std::string records = PaxRecordsFor(e);
  std::vector<std::string> keys;
  for (std::size_t pos = 0; pos < records.size();) {
    const std::size_t space = records.find(' ', pos);
    const std::size_t len = std::stoul(records.substr(pos, space - pos));
    const std::string rec = records.substr(pos, len);
    CHECK(rec.back() == '\n');
    keys.push_back(rec.substr(space - pos + 1, rec.find('=') - (space - pos + 1)));
    pos += len;
  }
  CHECK(keys == std::vector<std::string>{"SCHILY.xattr.security.capability",
                                         "SCHILY.xattr.user.note", "mtime", "path", "uid"});
  CHECK(records.find("22 mtime=1700000000.5\n") != std::string::npos);  // 5 + 12 + 3, 2 digits
  CHECK(records.find("15 uid=3000000\n") != std::string::npos);  // 3 + 7 + 3, 2 digits

  const std::string x = a.bytes.substr(0, 512);
  CHECK(x[156] == 'x');
  CHECK(Field(x, 0, 100) == "caf/PaxHeaders.0/.txt");  // the ASCII of the name
  const std::size_t main_at = 512 + (records.size() + 511) / 512 * 512;
  const std::string main = a.bytes.substr(main_at, 512);
  CHECK(Field(main, 0, 100) == "caf/.txt");
  CHECK(Field(main, 108, 8) == "0000000");  // too big for the field: the record has it

  const std::vector<Seen> seen = ReadWithLibarchive(a.bytes);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].path == e.path);
  CHECK(seen[0].uid == 3000000);
  CHECK(seen[0].mtime == 1700000000);
  CHECK(seen[0].nsec == 500000000);
  CHECK(seen[0].data == "ok");
  CHECK(seen[0].xattrs.at("user.note") == std::string("a\0b", 3));
  CHECK(seen[0].xattrs.at("security.capability") == "\x01\x02");
  const std::vector<std::string> lines = ListWithGnuTar(a.bytes);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("3000000/5") != std::string::npos);
  CHECK(lines[0].find(e.path) != std::string::npos);
}

TEST_CASE("a PAX record's length counts its own digits", "[exporter][tar]") {
  // A 91-byte value: 4 + 91 + 3 = 98 without the length; two digits would make 100, which
  // takes three, so the record is 101 bytes long and says so.
  TarEntry e = File("a/" + std::string(87, 'z') + "\xc3\xa9", 0);  // not ASCII: a record
  REQUIRE(e.path.size() == 91);
  const std::string records = PaxRecordsFor(e);
  CHECK(records.size() == 101);
  CHECK(records.rfind("101 path=", 0) == 0);
  // "SCHILY.xattr.user.k" is 19 bytes: 19 + 1 + 3 = 23, and two digits make 25.
  TarEntry f = File("f", 0);
  f.xattrs = {{"user.k", "v"}};
  CHECK(PaxRecordsFor(f) == "25 SCHILY.xattr.user.k=v\n");
  // Nothing ustar cannot hold: no records at all.
  CHECK(PaxRecordsFor(File("plain", 0)).empty());
}

TEST_CASE("what tar cannot hold is refused, and a stream is held to the sizes it declared",
          "[exporter][tar]") {
  StringSink sink;
  TarWriter tar(sink);
  TarEntry empty = File("", 0);
  CHECK(tar.WriteHeader(empty).error().code == ErrorCode::kInvalidArgument);
  TarEntry nul = File(std::string("a\0b", 3), 0);
  CHECK(tar.WriteHeader(nul).error().code == ErrorCode::kInvalidArgument);
  TarEntry dev;
  dev.path = "dev";
  dev.type = TarType::kCharDevice;
  dev.dev_major = 1u << 22;
  CHECK(tar.WriteHeader(dev).error().code == ErrorCode::kInvalidArgument);
  TarEntry link;
  link.path = "l";
  link.type = TarType::kSymlink;
  CHECK(tar.WriteHeader(link).error().code == ErrorCode::kInvalidArgument);
  TarEntry slash = File("file/", 0);
  CHECK(tar.WriteHeader(slash).error().code == ErrorCode::kInvalidArgument);
  TarEntry twice = File("x", 0);
  twice.xattrs = {{"user.a", "1"}, {"user.a", "2"}};
  CHECK(tar.WriteHeader(twice).error().code == ErrorCode::kInvalidArgument);
  CHECK(sink.data.empty());  // nothing was written for a refused entry

  REQUIRE(tar.WriteHeader(File("f", 3)).has_value());
  CHECK(tar.WriteData("abcd").error().code == ErrorCode::kInvalidArgument);
  REQUIRE(tar.WriteData("ab").has_value());
  CHECK(tar.WriteHeader(File("g", 0)).error().code == ErrorCode::kInvalidArgument);
  CHECK(tar.Finish().error().code == ErrorCode::kInvalidArgument);
  REQUIRE(tar.WriteData("c").has_value());
  REQUIRE(tar.Finish().has_value());
  CHECK(tar.WriteHeader(File("h", 0)).error().code == ErrorCode::kFailedPrecondition);
  CHECK(sink.data.size() % 512 == 0);

  FailingSink failing;
  TarWriter broken(failing);
  CHECK(broken.WriteHeader(File("f", 0)).error().code == ErrorCode::kIo);
  CHECK(broken.Finish().error().code == ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace bt::exporter
