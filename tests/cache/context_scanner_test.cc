// ContextScanner, ContextTree and StatCache: what changes a checksum and what must not,
// exclusion, symlinks, selectors and globs, and that a warm scan reads no file content.
#include "cache/context_scanner.h"

#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"
#include "cache/path_patterns.h"
#include "cache/metadata_db.h"
#include "cache/stat_cache.h"

namespace bt::cache {
namespace {

struct Context {
  TempDir dir = *TempDir::Create("", "bt-context-");
  std::string Path(const std::string& rel) const { return dir.path() + "/" + rel; }
  void Write(const std::string& rel, const std::string& data) const {
    std::ofstream(Path(rel), std::ios::binary | std::ios::trunc) << data;
  }
  void Mkdir(const std::string& rel) const { REQUIRE(::mkdir(Path(rel).c_str(), 0755) == 0); }
};

Checksum128 RootChecksum(const std::string& dir, const PathPatterns* excludes = nullptr) {
  ContextScanner scanner({.excludes = excludes});
  Result<ContextTree> tree = scanner.Scan(dir);
  REQUIRE(tree.has_value());
  return *tree->ChecksumOf(".");
}

Checksum128 ChecksumAt(const std::string& dir, const std::string& selector) {
  ContextScanner scanner({});
  Result<ContextTree> tree = scanner.Scan(dir);
  REQUIRE(tree.has_value());
  Result<Checksum128> sum = tree->ChecksumOf(selector);
  REQUIRE(sum.has_value());
  return *sum;
}

// Lets the coarse filesystem clock move on, so files written before are not "racy" with
// respect to a stat cache saved after (see StatCache).
void LetTimestampsAdvance() { std::this_thread::sleep_for(std::chrono::milliseconds(50)); }

TEST_CASE("checksums follow content, mode and names but not timestamps",
          "[cache][context_scanner]") {
  Context ctx;
  ctx.Mkdir("src");
  ctx.Write("src/a.txt", "hello");
  ctx.Write("b.txt", "world");
  const Checksum128 base = RootChecksum(ctx.dir.path());
  const Checksum128 file = ChecksumAt(ctx.dir.path(), "src/a.txt");

  SECTION("touching a file changes nothing") {
    const struct timespec times[2] = {{12345, 0}, {12345, 0}};
    REQUIRE(::utimensat(AT_FDCWD, ctx.Path("src/a.txt").c_str(), times, 0) == 0);
    REQUIRE(::utimensat(AT_FDCWD, ctx.Path("src").c_str(), times, 0) == 0);
    CHECK(RootChecksum(ctx.dir.path()) == base);
    CHECK(ChecksumAt(ctx.dir.path(), "src/a.txt") == file);
  }
  SECTION("new content of the same size changes the file, its directory and the root") {
    const Checksum128 dir = ChecksumAt(ctx.dir.path(), "src");
    ctx.Write("src/a.txt", "HELLO");
    CHECK_FALSE(ChecksumAt(ctx.dir.path(), "src/a.txt") == file);
    CHECK_FALSE(ChecksumAt(ctx.dir.path(), "src") == dir);
    CHECK_FALSE(RootChecksum(ctx.dir.path()) == base);
    CHECK(ChecksumAt(ctx.dir.path(), "b.txt") == ChecksumAt(ctx.dir.path(), "b.txt"));
  }
  SECTION("a mode change, setuid included, changes the checksum") {
    REQUIRE(::chmod(ctx.Path("src/a.txt").c_str(), 0755) == 0);
    const Checksum128 exec = ChecksumAt(ctx.dir.path(), "src/a.txt");
    CHECK_FALSE(exec == file);
    REQUIRE(::chmod(ctx.Path("src/a.txt").c_str(), 04755) == 0);
    CHECK_FALSE(ChecksumAt(ctx.dir.path(), "src/a.txt") == exec);
  }
  SECTION("a rename keeps the file's checksum and changes its directory's") {
    REQUIRE(::rename(ctx.Path("src/a.txt").c_str(), ctx.Path("src/c.txt").c_str()) == 0);
    CHECK(ChecksumAt(ctx.dir.path(), "src/c.txt") == file);
    CHECK_FALSE(RootChecksum(ctx.dir.path()) == base);
  }
  SECTION("an identical tree elsewhere has the same checksums") {
    Context other;
    other.Mkdir("src");
    other.Write("src/a.txt", "hello");
    other.Write("b.txt", "world");
    CHECK(RootChecksum(other.dir.path()) == base);
  }
}

TEST_CASE("excluded paths do not exist for checksums", "[cache][context_scanner]") {
  Context ctx;
  ctx.Mkdir("build");
  ctx.Mkdir("build/keep");
  ctx.Write("build/out.o", "object");
  ctx.Write("build/keep/x", "kept");
  ctx.Write("app.log", "log");
  ctx.Write("main.c", "int main;");

  const PathPatterns only_build = *PathPatterns::Parse(*ReadDockerignore("build\n*.log\n"));
  const Checksum128 before = RootChecksum(ctx.dir.path(), &only_build);
  ctx.Write("build/out.o", "another object");
  ctx.Write("app.log", "more log");
  ctx.Write("new.log", "new");
  CHECK(RootChecksum(ctx.dir.path(), &only_build) == before);
  ctx.Write("main.c", "int main();");
  CHECK_FALSE(RootChecksum(ctx.dir.path(), &only_build) == before);

  ContextScanner scanner({.excludes = &only_build});
  Result<ContextTree> tree = scanner.Scan(ctx.dir.path());
  REQUIRE(tree.has_value());
  CHECK(tree->Find("build") == nullptr);
  CHECK(tree->ChecksumOf("build/out.o").error().code == ErrorCode::kNotFound);
  CHECK(tree->ChecksumOf("*.log").error().code == ErrorCode::kNotFound);

  SECTION("an exception re-includes a path inside an excluded directory") {
    const PathPatterns keep = *PathPatterns::Parse({"build", "!build/keep"});
    ContextScanner s({.excludes = &keep});
    Result<ContextTree> t = s.Scan(ctx.dir.path());
    REQUIRE(t.has_value());
    REQUIRE(t->Find("build") != nullptr);
    CHECK(t->Find("build")->children.size() == 1);
    CHECK(t->Find("build/keep/x") != nullptr);
    CHECK(t->Find("build/out.o") == nullptr);
  }
}

TEST_CASE("symlinks are hashed as links and never followed", "[cache][context_scanner]") {
  Context ctx;
  Context outside;
  outside.Write("secret", "v1");
  ctx.Mkdir("src");
  ctx.Write("src/a.go", "package a");
  REQUIRE(::symlink(outside.Path("secret").c_str(), ctx.Path("out").c_str()) == 0);
  REQUIRE(::symlink("/", ctx.Path("root").c_str()) == 0);
  REQUIRE(::symlink("src", ctx.Path("alias").c_str()) == 0);

  const Checksum128 before = RootChecksum(ctx.dir.path());
  outside.Write("secret", "v2, longer");
  CHECK(RootChecksum(ctx.dir.path()) == before);

  ContextScanner scanner({});
  Result<ContextTree> tree = scanner.Scan(ctx.dir.path());
  REQUIRE(tree.has_value());
  const ContextNode* out = tree->Find("out");
  REQUIRE(out != nullptr);
  CHECK(out->type == ContextNodeType::kSymlink);
  CHECK(out->link_target == outside.Path("secret"));
  // A symlink in the middle of a selector resolves inside the context only.
  CHECK(*tree->ChecksumOf("alias/a.go") == *tree->ChecksumOf("src/a.go"));
  CHECK(*tree->ChecksumOf("root/src/a.go") == *tree->ChecksumOf("src/a.go"));
  CHECK(tree->ChecksumOf("root/etc/passwd").error().code == ErrorCode::kNotFound);
  // The final component is the link itself.
  CHECK_FALSE(*tree->ChecksumOf("alias") == *tree->ChecksumOf("src"));

  REQUIRE(::unlink(ctx.Path("out").c_str()) == 0);
  REQUIRE(::symlink("elsewhere", ctx.Path("out").c_str()) == 0);
  CHECK_FALSE(RootChecksum(ctx.dir.path()) == before);
}

TEST_CASE("a symlink loop in a selector is an error, not a hang", "[cache][context_scanner]") {
  Context ctx;
  REQUIRE(::symlink("b", ctx.Path("a").c_str()) == 0);
  REQUIRE(::symlink("a", ctx.Path("b").c_str()) == 0);
  ContextScanner scanner({});
  Result<ContextTree> tree = scanner.Scan(ctx.dir.path());
  REQUIRE(tree.has_value());
  CHECK(tree->ChecksumOf("a/x").error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("special files are hashed by header without being opened", "[cache][context_scanner]") {
  Context ctx;
  REQUIRE(::mkfifo(ctx.Path("pipe").c_str(), 0644) == 0);
  ContextScanner scanner({});
  Result<ContextTree> tree = scanner.Scan(ctx.dir.path());
  REQUIRE(tree.has_value());
  REQUIRE(tree->Find("pipe") != nullptr);
  CHECK(tree->Find("pipe")->type == ContextNodeType::kFifo);
  CHECK(scanner.stats().files_opened == 0);
}

TEST_CASE("selectors and globs checksum only what they name", "[cache][context_scanner]") {
  Context ctx;
  ctx.Mkdir("src");
  ctx.Write("src/a.go", "package a");
  ctx.Write("src/b.go", "package b");
  ctx.Write("src/README", "docs");
  auto glob = [&](const std::string& selector) { return ChecksumAt(ctx.dir.path(), selector); };
  const Checksum128 go = glob("src/*.go");
  CHECK_FALSE(go == glob("src/a.go"));
  CHECK(glob("/src/*.go") == go);

  ctx.Write("src/README", "more docs");
  CHECK(glob("src/*.go") == go);
  ctx.Write("src/b.go", "package bb");
  CHECK_FALSE(glob("src/*.go") == go);

  ContextScanner scanner({});
  Result<ContextTree> tree = scanner.Scan(ctx.dir.path());
  REQUIRE(tree.has_value());
  CHECK(tree->ChecksumOf("src/*.rs").error().code == ErrorCode::kNotFound);
  CHECK(tree->ChecksumOf("src/[").error().code == ErrorCode::kInvalidArgument);
  CHECK(tree->ChecksumOf("missing").error().code == ErrorCode::kNotFound);
  CHECK(*tree->ChecksumOf("src/a.go") == tree->Find("src/a.go")->checksum);
  CHECK(*tree->ChecksumOf("") == *tree->ChecksumOf("/"));
}

// A metadata DB for stat caches, and the options the tests use: no racy margin (the
// temporary directories are on filesystems with nanosecond timestamps).
struct StatCacheDb {
  TempDir dir = *TempDir::Create("", "bt-statcache-");
  MetadataDb db = *MetadataDb::Open(dir.path());
  static constexpr StatCacheOptions kExact{.racy_margin = std::chrono::nanoseconds(0)};
  StatCache Load(const std::string& context, StatCacheOptions options = kExact) {
    Result<StatCache> cache = StatCache::Load(db, context, options);
    REQUIRE(cache.has_value());
    return std::move(*cache);
  }
};

TEST_CASE("a warm scan costs one stat per file and reads nothing", "[cache][context_scanner]") {
  Context ctx;
  StatCacheDb state;
  ctx.Mkdir("d");
  for (int i = 0; i < 20; ++i) ctx.Write("d/f" + std::to_string(i), "content " + std::to_string(i));
  LetTimestampsAdvance();

  StatCache cold_cache = state.Load(ctx.dir.path());
  CHECK(cold_cache.size() == 0);
  ContextScanner cold({.stat_cache = &cold_cache});
  Result<ContextTree> cold_tree = cold.Scan(ctx.dir.path());
  REQUIRE(cold_tree.has_value());
  CHECK(cold.stats().files_opened == 20);
  CHECK(cold.stats().cache_hits == 0);
  REQUIRE(cold_cache.Save().has_value());

  StatCache warm_cache = state.Load(ctx.dir.path());
  CHECK(warm_cache.size() == 20);
  ContextScanner warm({.stat_cache = &warm_cache});
  Result<ContextTree> warm_tree = warm.Scan(ctx.dir.path());
  REQUIRE(warm_tree.has_value());
  CHECK(warm.stats().files_opened == 0);
  CHECK(warm.stats().bytes_read == 0);
  CHECK(warm.stats().cache_hits == 20);
  CHECK(warm.stats().entries_stated == 21);  // 20 files and d
  CHECK(*warm_tree->ChecksumOf(".") == *cold_tree->ChecksumOf("."));

  SECTION("a changed file is re-read, and only it") {
    ctx.Write("d/f3", "CONTENT 3");  // same size, new mtime
    ContextScanner again({.stat_cache = &warm_cache});
    Result<ContextTree> tree = again.Scan(ctx.dir.path());
    REQUIRE(tree.has_value());
    CHECK(again.stats().files_opened == 1);
    CHECK(again.stats().cache_hits == 19);
    CHECK_FALSE(*tree->ChecksumOf(".") == *cold_tree->ChecksumOf("."));
  }
  SECTION("a file stamped after the cache was loaded is racy: used, never kept") {
    ctx.Write("d/f3", "CONTENT 3");  // written after warm_cache was loaded
    ContextScanner scan({.stat_cache = &warm_cache});
    REQUIRE(scan.Scan(ctx.dir.path()).has_value());
    CHECK(scan.stats().files_opened == 1);
    REQUIRE(warm_cache.Save().has_value());
    LetTimestampsAdvance();
    StatCache reloaded = state.Load(ctx.dir.path());
    CHECK(reloaded.size() == 19);
    ContextScanner next({.stat_cache = &reloaded});
    REQUIRE(next.Scan(ctx.dir.path()).has_value());
    CHECK(next.stats().files_opened == 1);  // read again, and kept from now on
    REQUIRE(reloaded.Save().has_value());
    CHECK(state.Load(ctx.dir.path()).size() == 20);
  }
  SECTION("the racy margin keeps files changed in the last seconds out of the cache") {
    StatCache wide = state.Load(ctx.dir.path(), {.racy_margin = std::chrono::hours(1)});
    ctx.Write("d/f3", "CONTENT 3");
    ContextScanner scan({.stat_cache = &wide});
    REQUIRE(scan.Scan(ctx.dir.path()).has_value());
    REQUIRE(wide.Save().has_value());
    CHECK(state.Load(ctx.dir.path()).size() == 19);
  }
  SECTION("entries of deleted files are dropped on save") {
    REQUIRE(warm_cache.Save().has_value());  // a Save() starts a new generation of entries
    REQUIRE(::unlink(ctx.Path("d/f0").c_str()) == 0);
    ContextScanner again({.stat_cache = &warm_cache});
    REQUIRE(again.Scan(ctx.dir.path()).has_value());
    REQUIRE(warm_cache.Save().has_value());
    CHECK(state.Load(ctx.dir.path()).size() == 19);
  }
  SECTION("two contexts keep separate caches; the same directory by another path shares one") {
    Context other;
    other.Write("f", "x");
    CHECK(state.Load(other.dir.path()).size() == 0);
    CHECK(state.Load(ctx.dir.path() + "/d/..").size() == 20);
    REQUIRE(state.db.BeginRead()->ListStatCacheContexts()->size() == 1);
  }
}

TEST_CASE("a damaged stat cache starts over empty and is replaced on save", "[cache][stat_cache]") {
  Context ctx;
  ctx.Write("a", "aaa");
  StatCacheDb state;
  const ContextKey key = StatCache::KeyFor(state.Load(ctx.dir.path()).dir());
  REQUIRE(state.db
              .Update([&](WriteTxn& txn) -> Result<void> {
                char real[PATH_MAX];
                REQUIRE(::realpath(ctx.dir.path().c_str(), real) != nullptr);
                BT_TRY(txn.PutStatCacheContext({key, real, std::chrono::system_clock::now()}));
                return txn.PutStatCacheEntry(key, {"a", StatIdentity{}, Checksum128{1, 2}});
              })
              .has_value());
  REQUIRE(state.Load(ctx.dir.path()).size() == 1);

  SECTION("an entry that does not decode") {
    MDB_env* env = nullptr;
    REQUIRE(mdb_env_create(&env) == 0);
    REQUIRE(mdb_env_set_maxdbs(env, 8) == 0);
    REQUIRE(mdb_env_open(env, (state.dir.path() + "/db").c_str(), MDB_NOTLS, 0600) == 0);
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    MDB_dbi dbi;
    REQUIRE(mdb_dbi_open(txn, "stat_cache", 0, &dbi) == 0);
    std::string k(reinterpret_cast<const char*>(key.data()), key.size());
    k += "b";
    MDB_val mk{k.size(), k.data()};
    char garbage[] = "\x01short";
    MDB_val mv{sizeof garbage - 1, garbage};
    REQUIRE(mdb_put(txn, dbi, &mk, &mv, 0) == 0);
    REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
  }
  SECTION("a head naming another directory (a 128-bit collision)") {
    REQUIRE(state.db
                .Update([&](WriteTxn& txn) {
                  return txn.PutStatCacheContext({key, "/elsewhere", Timestamp()});
                })
                .has_value());
  }
  LetTimestampsAdvance();
  StatCache cache = state.Load(ctx.dir.path());
  CHECK(cache.size() == 0);
  ContextScanner scan({.stat_cache = &cache});
  REQUIRE(scan.Scan(ctx.dir.path()).has_value());
  REQUIRE(cache.Save().has_value());
  StatCache replaced = state.Load(ctx.dir.path());
  CHECK(replaced.size() == 1);
  CHECK(replaced.Lookup("b", StatIdentity{}) == std::nullopt);
}

TEST_CASE("checksums print as 32 hex digits, high half first", "[cache][stat_cache]") {
  CHECK(Checksum128{0x0123456789abcdefULL, 0xfedcba9876543210ULL}.Hex() ==
        "0123456789abcdeffedcba9876543210");
}

}  // namespace
}  // namespace bt::cache

namespace bt::cache {
namespace {

TEST_CASE("include patterns decide which paths are read, component by component",
          "[cache][include_patterns]") {
  const IncludePatterns p = *IncludePatterns::Parse({"/src/*/a.go", "./docs/readme.md", "lib"});
  CHECK(p.Included("lib"));
  CHECK(p.Included("lib/x/y.c"));  // below an included directory
  CHECK(p.Included("src/x/a.go"));
  CHECK_FALSE(p.Included("src/x/b.go"));
  CHECK_FALSE(p.Included("src"));
  CHECK(p.MayMatchInside("src"));
  CHECK(p.MayMatchInside("src/x"));
  CHECK_FALSE(p.MayMatchInside("src/x/y"));  // a.go would be three levels down
  CHECK(p.MayMatchInside("docs"));
  CHECK_FALSE(p.MayMatchInside("doc"));
  CHECK_FALSE(p.MayMatchInside("other"));

  const IncludePatterns deep = *IncludePatterns::Parse({"**/*.go"});
  CHECK(deep.MayMatchInside("a/b/c/d"));
  CHECK(deep.Included("a/b/c.go"));
  CHECK(IncludePatterns::Parse({"/"})->everything());
  CHECK(IncludePatterns::Parse({"a", "."})->everything());
  CHECK(IncludePatterns::Parse({})->everything());
  CHECK(IncludePatterns::Parse({"[z-a]"}).error().code == ErrorCode::kInvalidArgument);
}

TEST_CASE("a scan with include patterns reads only what the build copies",
          "[cache][context_scanner]") {
  Context ctx;
  ctx.Mkdir("src");
  ctx.Mkdir("src/pkg");
  ctx.Mkdir("big");
  ctx.Write("src/pkg/a.go", "package a");
  ctx.Write("src/pkg/a_test.go", "package a");
  ctx.Write("src/main.go", "package main");
  ctx.Write("big/blob", std::string(100000, 'x'));
  ctx.Write("Dockerfile", "FROM scratch");
  const IncludePatterns includes = *IncludePatterns::Parse({"/src/*/a.go", "/Dockerfile"});
  ContextScanner scanner({.includes = &includes});
  Result<ContextTree> tree = scanner.Scan(ctx.dir.path());
  REQUIRE(tree.has_value());
  CHECK(scanner.stats().files_opened == 2);
  CHECK(scanner.stats().bytes_read == std::string("package a").size() + 12);
  CHECK(tree->Find("src/pkg/a.go") != nullptr);
  CHECK(tree->Find("src/pkg/a_test.go") == nullptr);
  CHECK(tree->Find("src/main.go") == nullptr);
  CHECK(tree->Find("big") == nullptr);  // never entered: nothing could match inside
  // What a step selects has the same checksum as in a full scan.
  CHECK(*tree->ChecksumOf("src/pkg/a.go") == ChecksumAt(ctx.dir.path(), "src/pkg/a.go"));
  CHECK(*tree->ChecksumOf("Dockerfile") == ChecksumAt(ctx.dir.path(), "Dockerfile"));
}

TEST_CASE("a followed symlink checksums as its target", "[cache][context_scanner]") {
  Context ctx;
  ctx.Mkdir("real");
  ctx.Write("real/f", "one");
  REQUIRE(::symlink("real/f", ctx.Path("link").c_str()) == 0);
  REQUIRE(::symlink("/real", ctx.Path("dirlink").c_str()) == 0);
  ContextScanner scanner({});
  Result<ContextTree> tree = scanner.Scan(ctx.dir.path());
  REQUIRE(tree.has_value());
  using F = ContextTree::FinalSymlink;
  CHECK(*tree->ChecksumOf("link", F::kFollow) == *tree->ChecksumOf("real/f"));
  CHECK_FALSE(*tree->ChecksumOf("link") == *tree->ChecksumOf("real/f"));
  CHECK(*tree->ChecksumOf("dirlink", F::kFollow) == *tree->ChecksumOf("real"));
  CHECK(*tree->ChecksumOf("l*", F::kFollow) != *tree->ChecksumOf("l*"));

  SECTION("editing the target changes the followed checksum") {
    const Checksum128 before = *tree->ChecksumOf("link", F::kFollow);
    ctx.Write("real/f", "two");
    ContextScanner again({});
    CHECK_FALSE(*again.Scan(ctx.dir.path())->ChecksumOf("link", F::kFollow) == before);
  }
  SECTION("a dangling link followed is not found") {
    REQUIRE(::symlink("nowhere", ctx.Path("dangling").c_str()) == 0);
    ContextScanner again({});
    CHECK(again.Scan(ctx.dir.path())->ChecksumOf("dangling", F::kFollow).error().code ==
          ErrorCode::kNotFound);
  }
}

}  // namespace
}  // namespace bt::cache
