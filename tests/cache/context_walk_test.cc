// The parallel context walk (cache/context_walk.h), through ContextScanner: the tree, its
// node order and its checksums do not depend on the thread count or on thread timing, and
// neither depth nor width needs a stack frame or a file descriptor per level.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"
#include "base/unique_fd.h"
#include "cache/context_scanner.h"
#include "cache/metadata_db.h"
#include "cache/path_patterns.h"
#include "cache/stat_cache.h"

namespace bt::cache {
namespace {

struct Context {
  TempDir dir = *TempDir::Create("", "bt-walk-");
  std::string Path(const std::string& rel) const { return dir.path() + "/" + rel; }
  void Write(const std::string& rel, const std::string& data) const {
    std::ofstream(Path(rel), std::ios::binary | std::ios::trunc) << data;
  }
  void Mkdir(const std::string& rel) const { REQUIRE(::mkdir(Path(rel).c_str(), 0755) == 0); }
};

// Many directories of several sizes, small ones and ones split across tasks, with links,
// a FIFO, an empty directory and an excluded directory entered for an exception.
void FillVaried(const Context& ctx) {
  for (int a = 0; a < 6; ++a) {
    const std::string da = "a" + std::to_string(a);
    ctx.Mkdir(da);
    for (int b = 0; b < 7; ++b) {
      const std::string db = da + "/b" + std::to_string(b);
      ctx.Mkdir(db);
      for (int f = 0; f < a * 9 + b; ++f) {
        ctx.Write(db + "/f" + std::to_string(f), db + " file " + std::to_string(f));
      }
      REQUIRE(::symlink("../b0", ctx.Path(db + "/up").c_str()) == 0);
    }
  }
  ctx.Mkdir("wide");
  for (int f = 0; f < 700; ++f) ctx.Write("wide/w" + std::to_string(f), std::to_string(f * f));
  ctx.Mkdir("wide/sub");
  ctx.Write("wide/sub/x", "x");
  ctx.Mkdir("empty");
  REQUIRE(::mkfifo(ctx.Path("pipe").c_str(), 0600) == 0);
  ctx.Mkdir("out");
  ctx.Mkdir("out/keep");
  ctx.Mkdir("out/drop");
  ctx.Write("out/keep/k", "kept");
  ctx.Write("out/drop/d", "dropped");
  ctx.Write("out/o", "dropped");
}

ContextTree ScanWith(const std::string& dir, ContextScanOptions options) {
  ContextScanner scanner(options);
  Result<ContextTree> tree = scanner.Scan(dir);
  REQUIRE(tree.has_value());
  return std::move(*tree);
}

// Node by node: the same names, headers, checksums and children, in the same order.
void RequireSameTree(const ContextTree& a, const ContextTree& b) {
  REQUIRE(a.nodes().size() == b.nodes().size());
  for (size_t i = 0; i < a.nodes().size(); ++i) {
    const ContextNode& x = a.nodes()[i];
    const ContextNode& y = b.nodes()[i];
    INFO("node " << i << " " << x.name);
    CHECK(x.name == y.name);
    CHECK(x.type == y.type);
    CHECK(x.mode == y.mode);
    CHECK(x.uid == y.uid);
    CHECK(x.gid == y.gid);
    CHECK(x.size == y.size);
    CHECK(x.link_target == y.link_target);
    CHECK(x.checksum == y.checksum);
    CHECK(x.children == y.children);
  }
}

TEST_CASE("one thread and many give the same tree, node order and checksums",
          "[cache][context_walk]") {
  Context ctx;
  FillVaried(ctx);
  const PathPatterns excludes = *PathPatterns::Parse({"out", "!out/keep", "*/b3"});
  const ContextTree serial = ScanWith(ctx.dir.path(), {.excludes = &excludes, .threads = 1});
  CHECK(serial.Find("out/keep/k") != nullptr);
  CHECK(serial.Find("out/drop") == nullptr);
  CHECK(serial.Find("a2/b3") == nullptr);
  CHECK(serial.Find("empty") != nullptr);
  CHECK(serial.Find("wide/w699") != nullptr);

  for (const int threads : {0, 2, 3, 8}) {
    for (int run = 0; run < 3; ++run) {
      INFO("threads " << threads << ", run " << run);
      RequireSameTree(serial,
                      ScanWith(ctx.dir.path(), {.excludes = &excludes, .threads = threads}));
    }
  }

  SECTION("include patterns too") {
    const IncludePatterns includes = *IncludePatterns::Parse({"a*/b2", "wide/w1*", "out"});
    const ContextTree one =
        ScanWith(ctx.dir.path(), {.excludes = &excludes, .includes = &includes, .threads = 1});
    CHECK(one.Find("a5/b2/f46") != nullptr);
    CHECK(one.Find("a5/b1") == nullptr);
    CHECK(one.Find("wide/w150") != nullptr);
    CHECK(one.Find("wide/w2") == nullptr);
    CHECK(one.Find("out/keep/k") != nullptr);
    RequireSameTree(one, ScanWith(ctx.dir.path(),
                                  {.excludes = &excludes, .includes = &includes, .threads = 4}));
  }
  SECTION("with a stat cache, cold and then warm") {
    TempDir state = *TempDir::Create("", "bt-walk-state-");
    MetadataDb db = *MetadataDb::Open(state.path());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // files are no longer racy
    const StatCacheOptions exact{.racy_margin = std::chrono::nanoseconds(0)};
    StatCache cold = *StatCache::Load(db, ctx.dir.path(), exact);
    ContextScanner cold_scan({.excludes = &excludes, .stat_cache = &cold, .threads = 4});
    Result<ContextTree> cold_tree = cold_scan.Scan(ctx.dir.path());
    REQUIRE(cold_tree.has_value());
    RequireSameTree(serial, *cold_tree);
    REQUIRE(cold.Save().has_value());

    StatCache warm = *StatCache::Load(db, ctx.dir.path(), exact);
    ContextScanner warm_scan({.excludes = &excludes, .stat_cache = &warm, .threads = 4});
    Result<ContextTree> warm_tree = warm_scan.Scan(ctx.dir.path());
    REQUIRE(warm_tree.has_value());
    RequireSameTree(serial, *warm_tree);
    CHECK(warm_scan.stats().files_opened == 0);
    CHECK(warm_scan.stats().cache_hits == cold_scan.stats().files_opened);
    CHECK(warm_scan.stats().entries_stated == cold_scan.stats().entries_stated);
  }
}

// Creates `depth` directories named "d", each inside the last, through directory fds:
// deeper than a path the kernel would resolve in one call.
void MakeChain(const std::string& root, int depth) {
  UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd.valid());
  for (int i = 0; i < depth; ++i) {
    REQUIRE(::mkdirat(fd.get(), "d", 0755) == 0);
    fd = UniqueFd(::openat(fd.get(), "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(fd.valid());
  }
  UniqueFd file(::openat(fd.get(), "bottom", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  REQUIRE(file.valid());
  REQUIRE(::write(file.get(), "deep", 4) == 4);
}

TEST_CASE("a deep and wide tree needs no descriptor per level", "[cache][context_walk]") {
  Context ctx;
  constexpr int kDepth = 1000;
  MakeChain(ctx.dir.path(), kDepth);
  ctx.Mkdir("wide");
  for (int d = 0; d < 40; ++d) {
    const std::string dir = "wide/s" + std::to_string(d);
    ctx.Mkdir(dir);
    for (int f = 0; f < 60; ++f) ctx.Write(dir + "/f" + std::to_string(f), std::to_string(d * f));
  }
  std::string bottom;
  for (int i = 0; i < kDepth; ++i) bottom += "d/";
  bottom += "bottom";

  // Fewer descriptors than levels: a walk holding one per open ancestor would fail.
  struct rlimit saved;
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  struct rlimit low = saved;
  low.rlim_cur = 128;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  ContextScanner serial({.threads = 1});
  Result<ContextTree> one = serial.Scan(ctx.dir.path());
  ContextScanner parallel({.threads = 4});
  Result<ContextTree> four = parallel.Scan(ctx.dir.path());
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);

  REQUIRE(one.has_value());
  REQUIRE(four.has_value());
  CHECK(one->nodes().size() == 1 + kDepth + 1 + 1 + 40 + 40 * 60);
  REQUIRE(one->Find(bottom) != nullptr);
  CHECK(one->Find(bottom)->size == 4);
  CHECK(one->Find("wide/s39/f59") != nullptr);
  RequireSameTree(*one, *four);
  CHECK(parallel.stats().files_opened == 1 + 40 * 60);
  CHECK(parallel.stats().entries_stated == serial.stats().entries_stated);
}

}  // namespace
}  // namespace bt::cache
