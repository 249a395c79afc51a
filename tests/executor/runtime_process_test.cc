// The pure parts of the container process and its init: HOME from the image's /etc/passwd
// (as runc's user lookup) and the exit status the runtime reports.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "executor/runtime/init.h"
#include "executor/runtime/process.h"

namespace bt::executor::runtime {
namespace {

std::string Home(const std::string& passwd, uid_t uid) {
  char home[64];
  HomeFromPasswd(passwd.data(), passwd.size(), uid, home, sizeof home);
  return home;
}

TEST_CASE("HOME is the home field of the first passwd line with the uid",
          "[executor][runtime_process]") {
  const std::string passwd =
      "root:x:0:0:root:/root:/bin/sh\n"
      "broken line without fields\n"
      "app:x:1000:1000:App,,,:/home/app:/bin/sh\n"
      "dup:x:1000:1000::/home/dup:/bin/sh\n"
      "nohome:x:1001:1001:::/bin/sh\n"
      "last:x:1002:1002::/srv/last:/bin/sh";  // no final newline
  CHECK(Home(passwd, 0) == "/root");
  CHECK(Home(passwd, 1000) == "/home/app");
  CHECK(Home(passwd, 1001) == "/");  // empty home: runc's default
  CHECK(Home(passwd, 1002) == "/srv/last");
  CHECK(Home(passwd, 4242) == "/");
  CHECK(Home("", 0) == "/");
}

TEST_CASE("a name that looks like a uid is never taken for one", "[executor][runtime_process]") {
  CHECK(Home("0:x:1000:1000::/home/zero:/bin/sh\n", 0) == "/");
  CHECK(Home("a:x:+0:0::/plus:/bin/sh\nb:x:00:0::/zeros:/bin/sh\n", 0) == "/zeros");
  CHECK(Home("a:x:4294967296:0::/overflow:/bin/sh\n", 0) == "/");
}

TEST_CASE("a home longer than the buffer falls back to /", "[executor][runtime_process]") {
  const std::string longhome(100, 'h');
  CHECK(Home("a:x:7:7::/" + longhome + ":/bin/sh\n", 7) == "/");
}

TEST_CASE("the runtime reports the code, or 128+N for signal N", "[executor][runtime_process]") {
  CHECK(ExitStatusOf(0) == 0);
  CHECK(ExitStatusOf(3 << 8) == 3);
  CHECK(ExitStatusOf(SIGKILL) == 137);
  CHECK(ExitStatusOf(SIGTERM | 0x80) == 143);  // with a core dump flag
}

}  // namespace
}  // namespace bt::executor::runtime
