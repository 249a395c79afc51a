// The runtime's cache of compiled seccomp programs (executor/runtime/seccomp_cache.h): a
// second run of the same profile gets the very program libseccomp compiled; a different
// profile, or a stored file whose key is not the profile's, is compiled anew, never mixed up.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <string>
#include <vector>

#include "base/temp_dir.h"
#include "executor/runtime/seccomp_cache.h"
#include "executor/runtime/spec.h"
#include "executor/sandbox/seccomp_profile.h"
#include "tests/support/runtime_bundle.h"

namespace bt::test {
namespace {

using executor::runtime::CompileSeccomp;
using executor::runtime::CompileSeccompCached;
using executor::runtime::Seccomp;
using executor::runtime::SeccompProgram;

Seccomp ProfileFor(std::uint64_t caps) {
  nlohmann::json config = DefaultConfig({"/bin/true"});
  config["linux"]["seccomp"] = executor::DefaultSeccompProfile(caps, "amd64");
  Result<executor::runtime::Spec> spec = executor::runtime::ParseSpec(config.dump());
  REQUIRE(spec.has_value());
  return *spec->linux.seccomp;
}

bool Same(const SeccompProgram& a, const SeccompProgram& b) {
  return a.flags == b.flags && a.instructions.size() == b.instructions.size() &&
         std::memcmp(a.instructions.data(), b.instructions.data(),
                     a.instructions.size() * sizeof(sock_filter)) == 0;
}

std::vector<std::string> CachedFiles(const std::string& dir) {
  std::vector<std::string> files;
  if (DIR* d = ::opendir((dir + "/seccomp").c_str())) {
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') files.push_back(dir + "/seccomp/" + e->d_name);
    }
    ::closedir(d);
  }
  return files;
}

TEST_CASE("a cached seccomp program is the one libseccomp compiles", "[runtime][seccomp]") {
  Result<TempDir> dir = TempDir::Create("", "bt-seccomp-cache-");
  REQUIRE(dir.has_value());
  const Seccomp docker = ProfileFor(0x00000000a80425fbULL);
  Result<SeccompProgram> compiled = CompileSeccomp(docker);
  REQUIRE(compiled.has_value());

  Result<SeccompProgram> first = CompileSeccompCached(docker, dir->path());
  REQUIRE(first.has_value());
  REQUIRE(CachedFiles(dir->path()).size() == 1);
  Result<SeccompProgram> second = CompileSeccompCached(docker, dir->path());
  REQUIRE(second.has_value());
  CHECK(Same(*first, *compiled));
  CHECK(Same(*second, *compiled));

  SECTION("another profile is compiled and stored beside it") {
    const Seccomp admin = ProfileFor(0x00000000a80425fbULL | (1ULL << 21));
    Result<SeccompProgram> other = CompileSeccompCached(admin, dir->path());
    REQUIRE(other.has_value());
    Result<SeccompProgram> direct = CompileSeccomp(admin);
    REQUIRE(direct.has_value());
    CHECK(Same(*other, *direct));
    CHECK_FALSE(Same(*other, *compiled));
    CHECK(CachedFiles(dir->path()).size() == 2);
  }

  SECTION("a stored file whose key does not match is a miss") {
    // Flip a byte of the stored key: the program must be compiled again, not trusted.
    const std::string file = CachedFiles(dir->path()).at(0);
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(12);
    f.put('#');
    f.close();
    Result<SeccompProgram> again = CompileSeccompCached(docker, dir->path());
    REQUIRE(again.has_value());
    CHECK(Same(*again, *compiled));
  }

  SECTION("a truncated file is a miss") {
    const std::string file = CachedFiles(dir->path()).at(0);
    struct stat st;
    REQUIRE(::stat(file.c_str(), &st) == 0);
    REQUIRE(::truncate(file.c_str(), st.st_size - 8) == 0);
    Result<SeccompProgram> again = CompileSeccompCached(docker, dir->path());
    REQUIRE(again.has_value());
    CHECK(Same(*again, *compiled));
  }
}

}  // namespace
}  // namespace bt::test
