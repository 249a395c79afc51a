// Cache keys: a step's key follows exactly the content it selects from a local context and
// the keys of its other inputs (ARCHITECTURE.md "Key types"), nothing else.
#include "solver/cache_key.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"

namespace bt::solver {
namespace {

struct Context {
  TempDir dir = *TempDir::Create("", "bt-key-context-");
  void Write(const std::string& rel, const std::string& data) const {
    std::ofstream(dir.path() + "/" + rel, std::ios::trunc) << data;
  }
  cache::ContextTree Scan() const {
    cache::ContextScanner scanner({});
    Result<cache::ContextTree> tree = scanner.Scan(dir.path());
    REQUIRE(tree.has_value());
    return std::move(*tree);
  }
};

// local context -> COPY app.txt /app.txt (on scratch) -> COPY conf /etc/conf (on the first)
struct Build {
  ir::Graph graph;
  ir::VertexId local = 0, first = 0, second = 0;

  Build() {
    ir::Op src;
    src.body = ir::SourceOp{ir::LocalSource{"context", {}, {}, {}}};
    local = graph.Add(src);
    first = graph.Add(CopyOp({ir::Edge{local, 0}}, 0, "/app.txt", "/app.txt", ir::kScratch));
    second = graph.Add(CopyOp({ir::Edge{first, 0}, ir::Edge{local, 0}}, 1, "/conf", "/etc/conf", 0));
  }
  static ir::Op CopyOp(std::vector<ir::Edge> inputs, ir::InputIndex source, std::string src,
                       std::string dest, ir::InputIndex base) {
    ir::CopyAction copy;
    copy.source = source;
    copy.src = std::move(src);
    copy.dest = std::move(dest);
    copy.follow_symlinks = true;
    ir::Op op;
    op.inputs = std::move(inputs);
    op.body = ir::FileOp{base, {copy}};
    return op;
  }
  std::vector<oci::Digest> Keys(const cache::ContextTree& tree) const {
    std::vector<SourceContent> sources(graph.size());
    sources[local] = &tree;
    return ComputeCacheKeys(graph, sources);
  }
  Result<std::vector<oci::Digest>> PortableKeys(const cache::ContextTree& tree, const std::string& dir) const {
    cache::PortableContextDigests digests(tree, dir);
    std::vector<PortableSourceContent> sources(graph.size());
    sources[local] = &digests;
    return ComputePortableCacheKeys(graph, sources);
  }
};

TEST_CASE("a step's key follows only what it copies from the context", "[solver][cache_key]") {
  Context ctx;
  ctx.Write("app.txt", "app v1");
  ctx.Write("conf", "conf v1");
  ctx.Write("README", "docs");
  const Build b;
  const cache::ContextTree tree = ctx.Scan();
  const std::vector<oci::Digest> keys = b.Keys(tree);
  REQUIRE(keys.size() == 3);
  CHECK(keys[b.first] != keys[b.second]);
  CHECK(b.Keys(ctx.Scan()) == keys);  // the same content gives the same keys

  SECTION("editing an unrelated file changes no step") {
    ctx.Write("README", "more docs");
    const std::vector<oci::Digest> after = b.Keys(ctx.Scan());
    CHECK(after[b.first] == keys[b.first]);
    CHECK(after[b.second] == keys[b.second]);
    CHECK(after[b.local] != keys[b.local]);  // the context as a whole did change
  }
  SECTION("editing the second copy's file changes only the second step") {
    ctx.Write("conf", "conf v2");
    const std::vector<oci::Digest> after = b.Keys(ctx.Scan());
    CHECK(after[b.first] == keys[b.first]);
    CHECK(after[b.second] != keys[b.second]);
  }
  SECTION("editing the first copy's file changes it and every step after it") {
    ctx.Write("app.txt", "app v2");
    const std::vector<oci::Digest> after = b.Keys(ctx.Scan());
    CHECK(after[b.first] != keys[b.first]);
    CHECK(after[b.second] != keys[b.second]);
  }
  SECTION("a mode change is a change") {
    REQUIRE(::chmod((ctx.dir.path() + "/conf").c_str(), 0600) == 0);
    CHECK(b.Keys(ctx.Scan())[b.second] != keys[b.second]);
  }
  SECTION("a missing source still has a key, different from any content") {
    REQUIRE(::unlink((ctx.dir.path() + "/conf").c_str()) == 0);
    const std::vector<oci::Digest> after = b.Keys(ctx.Scan());
    CHECK(after[b.second] != keys[b.second]);
    CHECK(after[b.first] == keys[b.first]);
  }
  SECTION("a source symlink is keyed by its target, as COPY follows it") {
    ctx.Write("real", "conf v1");
    REQUIRE(::unlink((ctx.dir.path() + "/conf").c_str()) == 0);
    REQUIRE(::symlink("real", (ctx.dir.path() + "/conf").c_str()) == 0);
    const std::vector<oci::Digest> linked = b.Keys(ctx.Scan());
    ctx.Write("real", "conf v2");
    CHECK(b.Keys(ctx.Scan())[b.second] != linked[b.second]);
  }
}

TEST_CASE("a different op or platform is a different key", "[solver][cache_key]") {
  Context ctx;
  ctx.Write("app.txt", "x");
  const cache::ContextTree tree = ctx.Scan();
  Build a;
  Build b;
  ir::Op other = Build::CopyOp({ir::Edge{b.local, 0}}, 0, "/app.txt", "/elsewhere", ir::kScratch);
  const ir::VertexId v = b.graph.Add(other);
  std::vector<SourceContent> sources(b.graph.size());
  sources[b.local] = &tree;
  const std::vector<oci::Digest> keys = ComputeCacheKeys(b.graph, sources);
  CHECK(keys[v] != a.Keys(tree)[a.first]);

  ir::Op arm = Build::CopyOp({ir::Edge{b.local, 0}}, 0, "/app.txt", "/app.txt", ir::kScratch);
  arm.platform = oci::Platform{"linux", "arm64", ""};
  const ir::VertexId w = b.graph.Add(arm);
  sources.resize(b.graph.size());
  CHECK(ComputeCacheKeys(b.graph, sources)[w] != a.Keys(tree)[a.first]);
}

// Portable keys (issue 8): what two machines with the same context compute alike, resting on
// SHA-256 rather than XXH3-128.
TEST_CASE("portable keys are the same for any copy of the context and follow only what is copied",
          "[solver][cache_key]") {
  Context a, b;
  for (const Context* c : {&a, &b}) {
    c->Write("app.txt", "app v1");
    c->Write("conf", "conf v1");
    c->Write("README", "docs");
  }
  const Build build;
  const cache::ContextTree ta = a.Scan(), tb = b.Scan();
  Result<std::vector<oci::Digest>> ka = build.PortableKeys(ta, a.dir.path());
  Result<std::vector<oci::Digest>> kb = build.PortableKeys(tb, b.dir.path());
  REQUIRE(ka.has_value());
  REQUIRE(kb.has_value());
  CHECK(*ka == *kb);
  // Not the local keys: another hash of the content, another prefix.
  CHECK((*ka)[build.first] != build.Keys(ta)[build.first]);
  // A local source's own key leaves the context out: nothing exported rests on it.
  b.Write("README", "more docs");
  const cache::ContextTree readme = b.Scan();
  Result<std::vector<oci::Digest>> after_readme = build.PortableKeys(readme, b.dir.path());
  REQUIRE(after_readme.has_value());
  CHECK(*after_readme == *ka);
  b.Write("conf", "conf v2");
  const cache::ContextTree conf = b.Scan();
  Result<std::vector<oci::Digest>> after_conf = build.PortableKeys(conf, b.dir.path());
  REQUIRE(after_conf.has_value());
  CHECK((*after_conf)[build.first] == (*ka)[build.first]);
  CHECK((*after_conf)[build.second] != (*ka)[build.second]);
  // A missing source has a key too, as locally.
  REQUIRE(::unlink((b.dir.path() + "/conf").c_str()) == 0);
  const cache::ContextTree gone = b.Scan();
  Result<std::vector<oci::Digest>> after_gone = build.PortableKeys(gone, b.dir.path());
  REQUIRE(after_gone.has_value());
  CHECK((*after_gone)[build.second] != (*ka)[build.second]);
}

TEST_CASE("a portable key is not made from a context that changed after its scan", "[solver][cache_key]") {
  Context ctx;
  ctx.Write("app.txt", "app v1");
  ctx.Write("conf", "conf v1");
  const Build build;
  const cache::ContextTree tree = ctx.Scan();
  ctx.Write("app.txt", "app v1, and more");
  Result<std::vector<oci::Digest>> keys = build.PortableKeys(tree, ctx.dir.path());
  REQUIRE_FALSE(keys.has_value());
  CHECK(keys.error().code == ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace bt::solver
