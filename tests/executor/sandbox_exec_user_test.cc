// Tests for executor/sandbox/exec_user.h. Expected values follow BuildKit's executor/oci/user.go
// (GetUser, ParseUIDGID, WithUIDGID/ensureAdditionalGids) over the moby/sys/user v0.4.1 it
// vendors (user.go GetExecUser, parseNumeric, ParsePasswdFilter, ParseGroupFilter), and runc's
// libcontainer/env.go getUserHome for HOME; the table cases port moby/sys's own
// TestGetExecUser and TestGetExecUserInvalid to BuildKit's defaults (uid 0, gid 0, no groups).
#include "executor/sandbox/exec_user.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/temp_dir.h"

namespace bt::executor {
namespace {

using Gids = std::vector<uint32_t>;

// A scratch rootfs holding whatever /etc files a case writes.
class Rootfs {
 public:
  Rootfs() {
    auto dir = TempDir::Create("", "exec-user-");
    REQUIRE(dir.has_value());
    dir_.emplace(std::move(*dir));
    std::filesystem::create_directories(Path("etc"));
  }
  std::string Path(const std::string& rel) const { return dir_->path() + "/" + rel; }
  void Write(const std::string& rel, const std::string& content) const {
    std::filesystem::create_directories(std::filesystem::path(Path(rel)).parent_path());
    std::ofstream(Path(rel), std::ios::binary) << content;
  }
  Result<ExecUser> Resolve(std::string_view user) const {
    auto root = RootDir::Open(dir_->path(), "rootfs");
    REQUIRE(root.has_value());
    return ResolveExecUser(*root, user);
  }

 private:
  std::optional<TempDir> dir_;
};

struct Want {
  uint32_t uid;
  uint32_t gid;
  Gids additional;
  std::string home;
};

void Check(const Rootfs& fs, std::string_view user, const Want& want) {
  INFO("USER \"" << user << "\"");
  auto got = fs.Resolve(user);
  INFO((got.has_value() ? std::string() : got.error().message));
  REQUIRE(got.has_value());
  CHECK(got->uid == want.uid);
  CHECK(got->gid == want.gid);
  CHECK(got->additional_gids == want.additional);
  CHECK(got->home == want.home);
}

Error Failure(const Rootfs& fs, std::string_view user) {
  INFO("USER \"" << user << "\"");
  auto got = fs.Resolve(user);
  if (got.has_value()) FAIL("resolved to uid " << got->uid << " gid " << got->gid);
  return got.error();
}

constexpr const char* kRangeError = "uids and gids must be in range 0-2147483647";

// An Alpine-like base: root is listed in several groups, as in real images.
constexpr const char* kPasswd = R"(root:x:0:0:root:/root:/bin/sh
toor:x:0:0:alias:/toor:/bin/sh
app:x:1000:1000::/home/app:/bin/sh
dev:x:1001:20::/home/dev:/bin/sh
111:x:222:333::/var/garbage
odd:x:111:112::/home/odd:::::
nohome:x:1500:1500:::/bin/sh
4294967296:x:0:0:evil:/root:/bin/sh
2147483648:x:0:0:toolarge:/root:/bin/sh
)";
constexpr const char* kGroup = R"(root:x:0:root
bin:x:1:root,bin,daemon
wheel:x:10:root,app,dev
users:x:20:bob,app,dev
app:x:1000:
dup:x:20:app
# comment:x:30:app
)";

TEST_CASE("an empty USER is root with the groups /etc/group lists root in", "[executor][sandbox][user]") {
  Rootfs fs;
  fs.Write("etc/passwd", kPasswd);
  fs.Write("etc/group", kGroup);
  Check(fs, "", {0, 0, {0, 1, 10}, "/root"});
  Check(fs, "root", {0, 0, {0, 1, 10}, "/root"});
  // "toor" shares uid 0 but /etc/group lists "root", not "toor"; HOME comes from the first
  // entry with uid 0, as runc looks it up by uid.
  Check(fs, "toor", {0, 0, {0}, "/root"});
}

TEST_CASE("without account files an empty USER is 0:0 and a name is an error", "[executor][sandbox][user]") {
  Rootfs fs;
  Check(fs, "", {0, 0, {0}, "/"});
  Check(fs, "0", {0, 0, {0}, "/"});
  Check(fs, "1000", {1000, 0, {0}, "/"});
  Check(fs, "1000:1000", {1000, 1000, {1000}, "/"});
  // "root" is a name like any other outside the "uid:gid" fast path: BuildKit fails
  // `USER root` in an image without /etc/passwd.
  const Error e = Failure(fs, "root");
  CHECK(e.code == ErrorCode::kNotFound);
  CHECK(e.message == "unable to find user root: no matching entries in passwd file");
  Check(fs, "root:root", {0, 0, {0}, "/"});
}

TEST_CASE("supplementary groups are those moby/sys GetExecUser lists, primary gid first (case 17)",
          "[executor][sandbox][user][adversarial]") {
  Rootfs fs;
  fs.Write("etc/passwd", kPasswd);
  fs.Write("etc/group", kGroup);
  SECTION("a user found by name or uid gets every group listing its name, in file order, duplicates kept") {
    Check(fs, "app", {1000, 1000, {1000, 10, 20, 20}, "/home/app"});
    Check(fs, "1000", {1000, 1000, {1000, 10, 20, 20}, "/home/app"});
  }
  SECTION("a primary gid already among them is not added again") {
    Check(fs, "dev", {1001, 20, {10, 20}, "/home/dev"});
  }
  SECTION("an explicit group leaves only the primary gid") {
    Check(fs, "app:app", {1000, 1000, {1000}, "/home/app"});
    Check(fs, "app:20", {1000, 20, {20}, "/home/app"});
    Check(fs, "1000:users", {1000, 20, {20}, "/home/app"});
    Check(fs, "1000:1000", {1000, 1000, {1000}, "/home/app"});
  }
  SECTION("a uid without an entry has gid 0 and no groups") {
    Check(fs, "4242", {4242, 0, {0}, "/"});
    Check(fs, "4242:4242", {4242, 4242, {4242}, "/"});
  }
  SECTION("an entry with an empty name has no supplementary groups") {
    fs.Write("etc/passwd", ":x:1200:1200::/anon:/bin/sh\n");
    fs.Write("etc/group", "g:x:5:,app\n");
    Check(fs, "1200", {1200, 1200, {1200}, "/anon"});
  }
}

TEST_CASE("a numeric user or group is an id, never looked up as a name (case 16)",
          "[executor][sandbox][user][adversarial]") {
  Rootfs fs;
  fs.Write("etc/passwd", kPasswd);
  fs.Write("etc/group", kGroup);
  // The entry named "111" has uid 222; USER 111 means uid 111 (the entry "odd").
  Check(fs, "111", {111, 112, {112}, "/home/odd"});
  Check(fs, "111:wheel", {111, 10, {10}, "/home/odd"});
  // strconv.Atoi accepts a sign, so these are ids too.
  Check(fs, "+5", {5, 0, {0}, "/"});
  Check(fs, "-0", {0, 0, {0, 1, 10}, "/root"});
  // What Atoi refuses as syntax is a name.
  for (const char* name : {"1a", "0x10", "1_000"}) {
    const Error e = Failure(fs, name);
    CHECK(e.code == ErrorCode::kNotFound);
    CHECK(e.message == "unable to find user " + std::string(name) + ": no matching entries in passwd file");
  }
}

TEST_CASE("ids outside 0-2147483647 are refused in every form of USER (case 16)",
          "[executor][sandbox][user][adversarial]") {
  Rootfs fs;
  fs.Write("etc/passwd", kPasswd);
  fs.Write("etc/group", kGroup);
  Check(fs, "2147483647", {2147483647, 0, {0}, "/"});
  Check(fs, "7456:2147483647", {7456, 2147483647, {2147483647}, "/"});
  // The names "4294967296" and "2147483648" map to uid 0 in this passwd: they must never be
  // looked up. The "uid:gid" cases are where BuildKit's fast path (ParseUint 32 bits) would
  // pass the id on, 4294967295 being (uid_t)-1.
  for (const char* user : {"2147483648", "4294967295", "4294967296", "-1", "1000:4294967296", "1000:-1",
                           "4294967295:0", "4294967295:4294967295", "2147483648:0", "0:2147483648",
                           "99999999999999999999", "9223372036854775808", "0:9223372036854775808",
                           "99999999999999999999x", "root:2147483648", "2147483648:root"}) {
    const Error e = Failure(fs, user);
    CHECK(e.code == ErrorCode::kInvalidArgument);
    CHECK(e.message == "invalid user \"" + std::string(user) + "\": " + kRangeError);
  }
}

TEST_CASE("passwd and group entries whose ids no uid_t holds are refused, not wrapped to root",
          "[executor][sandbox][user][adversarial]") {
  Rootfs fs;
  // BuildKit converts with uint32(): 4294967296 would become uid 0, -1 would become 4294967295.
  fs.Write("etc/passwd", "big:x:4294967296:0::/:/bin/sh\nneg:x:-1:-1::/:/bin/sh\nbiggid:x:1000:4294967296::/:/bin/sh\n"
                         "app:x:1001:1001::/home/app:/bin/sh\n");
  fs.Write("etc/group", "root0:x:4294967296:app\nstaff:x:50:\n");
  for (const char* user : {"big", "neg", "biggid", "app", "1001"}) {
    const Error e = Failure(fs, user);
    CHECK(e.code == ErrorCode::kInvalidArgument);
    CHECK_THAT(e.message, Catch::StartsWith("invalid id \""));
  }
  // An explicit group does not read the supplementary groups; a bad line nobody uses is fine.
  Check(fs, "app:staff", {1001, 50, {50}, "/home/app"});
  const Error e = Failure(fs, "app:root0");
  CHECK(e.message == "invalid id \"4294967296\" for root0 in /etc/group");
}

TEST_CASE("unknown names and groups fail with BuildKit's messages", "[executor][sandbox][user]") {
  Rootfs fs;
  fs.Write("etc/passwd", kPasswd);
  fs.Write("etc/group", kGroup);
  struct Case {
    const char* user;
    const char* message;
  };
  for (const Case& c : {
           Case{"nobody", "unable to find user nobody: no matching entries in passwd file"},
           Case{"nobody:wheel", "unable to find user nobody: no matching entries in passwd file"},
           Case{"app:nogroup", "unable to find group nogroup: no matching entries in group file"},
           Case{"1000:nogroup", "unable to find group nogroup: no matching entries in group file"},
           Case{"8888:nogroup", "unable to find group nogroup: no matching entries in group file"},
           // '#' lines of /etc/group are comments, not groups.
           Case{"app:# comment", "unable to find group # comment: no matching entries in group file"},
       }) {
    const Error e = Failure(fs, c.user);
    CHECK(e.code == ErrorCode::kNotFound);
    CHECK(e.message == c.message);
  }
  fs.Write("etc/group", "");
  CHECK(Failure(fs, "app:wheel").message == "unable to find group wheel: no matching entries in group file");
  Check(fs, "app:10", {1000, 10, {10}, "/home/app"});
}

TEST_CASE("quirks of USER parsing follow BuildKit and moby/sys", "[executor][sandbox][user]") {
  Rootfs fs;
  fs.Write("etc/passwd", kPasswd);
  fs.Write("etc/group", kGroup);
  // parseLine keeps two fields and drops the rest.
  Check(fs, "app:wheel:junk", {1000, 10, {10}, "/home/app"});
  Check(fs, "1:2:3", {1, 2, {2}, "/"});
  // An empty user part matches the first uid-0 entry; the group is explicit.
  Check(fs, ":20", {0, 20, {20}, "/root"});
  // The fast path: "root" is 0 on either side, without reading /etc/passwd.
  fs.Write("etc/passwd", "root:x:5:5::/r:/bin/sh\n");
  Check(fs, "root", {5, 5, {5, 0, 1, 10}, "/r"});
  Check(fs, "root:root", {0, 0, {0}, "/"});
  Check(fs, "root:7", {0, 7, {7}, "/"});
  Check(fs, "7:root", {7, 0, {0}, "/"});
}

TEST_CASE("HOME is the home field of the first passwd entry with the uid, else /", "[executor][sandbox][user]") {
  Rootfs fs;
  fs.Write("etc/passwd", kPasswd);
  Check(fs, "nohome", {1500, 1500, {1500}, ""});  // runc sets HOME= (empty) here
  Check(fs, "1500:1500", {1500, 1500, {1500}, ""});
  Check(fs, "9999:9999", {9999, 9999, {9999}, "/"});
}

TEST_CASE("moby/sys TestGetExecUser cases, with BuildKit's defaults", "[executor][sandbox][user]") {
  Rootfs fs;
  fs.Write("etc/passwd", R"(
root:x:0:0:root user:/root:/bin/bash
adm:x:42:43:adm:/var/adm:/bin/false
111:x:222:333::/var/garbage
odd:x:111:112::/home/odd:::::
2147483647:x:0:0:maxint32:/root:/bin/bash
2147483648:x:0:0:toolarge:/root:/bin/bash
9223372036854775807:x:0:0:maxint64:/root:/bin/bash
user7456:x:7456:100:Vasya:/home/user7456
this is just some garbage data
)");
  // largeGroup(): a member list longer than bufio's default 64 KiB line limit.
  std::string large = "largegroup:x:1000:user1";
  for (int i = 2; i <= 7500; ++i) large += ",user" + std::to_string(i);
  REQUIRE(large.size() > 64 * 1024);
  fs.Write("etc/group", R"(
root:x:0:root
adm:x:43:
grp:x:1234:root,adm,user7456
444:x:555:111
odd:x:444:
2147483647:x:1235:
2147483648:x:1236:
9223372036854775807:x:1237:
this is just some garbage data
)" + large);
  Check(fs, "", {0, 0, {0, 1234}, "/root"});
  Check(fs, "root", {0, 0, {0, 1234}, "/root"});
  Check(fs, "adm", {42, 43, {43, 1234}, "/var/adm"});
  Check(fs, "root:adm", {0, 43, {43}, "/root"});
  Check(fs, "adm:1234", {42, 1234, {1234}, "/var/adm"});
  Check(fs, "42:1234", {42, 1234, {1234}, "/var/adm"});
  Check(fs, "1337:1234", {1337, 1234, {1234}, "/"});
  Check(fs, "1337", {1337, 0, {0}, "/"});
  Check(fs, "111", {111, 112, {112}, "/home/odd"});
  Check(fs, "111:444", {111, 444, {444}, "/home/odd"});
  Check(fs, "7456", {7456, 100, {100, 1234, 1000}, "/home/user7456"});
  Check(fs, "2147483647:43", {2147483647, 43, {43}, "/"});
  for (const char* user : {"notuser", "notuser:notgroup", "root:notgroup", "notuser:adm", "8888:notgroup",
                           "notuser:8888"}) {
    CHECK(Failure(fs, user).code == ErrorCode::kNotFound);
  }
  for (const char* user : {"-1:0", "0:-3", "-5:-2", "-42", "-43", "42:2147483648", "2147483648:43", "2147483648",
                           "7456:9223372036854775807", "9223372036854775807:43", "9223372036854775807",
                           "9223372036854775808", "0:9223372036854775808"}) {
    CHECK(Failure(fs, user).code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("account files are opened in-root: a symlink to the host's /etc/shadow reads the rootfs's (case 15)",
          "[executor][sandbox][user][adversarial]") {
  Rootfs fs;
  for (const char* target : {"/etc/shadow", "../../../../../../../../etc/shadow"}) {
    INFO("etc/passwd -> " << target);
    std::filesystem::remove(fs.Path("etc/passwd"));
    REQUIRE(::symlink(target, fs.Path("etc/passwd").c_str()) == 0);
    // The host's /etc/shadow has a "root" line; the rootfs has no etc/shadow at all.
    CHECK(Failure(fs, "root").code == ErrorCode::kNotFound);
    Check(fs, "", {0, 0, {0}, "/"});
    // The link resolves inside the rootfs.
    fs.Write("etc/shadow", "root:x:7:8::/in-root:/bin/sh\n");
    Check(fs, "root", {7, 8, {8}, "/in-root"});
    std::filesystem::remove(fs.Path("etc/shadow"));
  }
  // A symlinked /etc climbing to the host's /etc loops back onto itself in-root.
  std::filesystem::remove_all(fs.Path("etc"));
  REQUIRE(::symlink("/../../../../etc", fs.Path("etc").c_str()) == 0);
  CHECK(Failure(fs, "root").code == ErrorCode::kNotFound);
}

TEST_CASE("account files that are not regular files count as absent, as in GetUser", "[executor][sandbox][user]") {
  Rootfs fs;
  SECTION("a directory") { std::filesystem::create_directories(fs.Path("etc/passwd")); }
  SECTION("a FIFO, which must not block") { REQUIRE(::mkfifo(fs.Path("etc/passwd").c_str(), 0644) == 0); }
  Check(fs, "", {0, 0, {0}, "/"});
  Check(fs, "1000", {1000, 0, {0}, "/"});
  CHECK(Failure(fs, "app").code == ErrorCode::kNotFound);
}

TEST_CASE("oversized account files and overlong lines fail as BuildKit's reads do", "[executor][sandbox][user]") {
  Rootfs fs;
  const std::string app = "app:x:1000:1000::/home/app:/bin/sh\n";
  SECTION("over 10 MiB") {
    std::string padding;
    while (padding.size() <= (10 << 20)) padding += "# padding\n";
    fs.Write("etc/passwd", app + padding);
    const Error e = Failure(fs, "app");
    CHECK(e.code == ErrorCode::kInvalidArgument);
    CHECK(e.message == "unable to find user app: \"/etc/passwd\" exceeds 10485760 bytes");
    // Only GetExecUser reads the files: the fast path and the default user do not fail. (The
    // HOME lookup keeps the 10 MiB cap, where runc's has none and would find /home/app.)
    Check(fs, "1000:1000", {1000, 1000, {1000}, "/"});
    Check(fs, "", {0, 0, {0}, "/"});
  }
  SECTION("a passwd line over bufio's 64 KiB") {
    fs.Write("etc/passwd", app + "x:" + std::string(65534, 'y') + "\n");
    CHECK(Failure(fs, "app").message == "unable to find user app: /etc/passwd: line 2 is longer than 65535 bytes");
    fs.Write("etc/passwd", app + "x:" + std::string(65533, 'y') + "\n");
    Check(fs, "app", {1000, 1000, {1000}, "/home/app"});
  }
  SECTION("a group line over 1 MiB, only when groups are read") {
    fs.Write("etc/passwd", app);
    fs.Write("etc/group", "big:x:5:" + std::string(1024 * 1024, 'm') + "\n");
    CHECK(Failure(fs, "app").message ==
          "unable to find groups for spec app: /etc/group: line 1 is longer than 1048575 bytes");
    CHECK(Failure(fs, "4242:big").message ==
          "unable to find groups for spec : /etc/group: line 1 is longer than 1048575 bytes");
    Check(fs, "4242", {4242, 0, {0}, "/"});
  }
}

}  // namespace
}  // namespace bt::executor
