#include "solver/ir_print.h"

#include <algorithm>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace bt::ir {
namespace {

// FROM alpine; RUN --mount=type=cache,target=/root/.cache make; COPY --from=0 /out/app /app
BuildDefinition Definition() {
  BuildDefinition def;
  Op image;
  image.body = SourceOp{ImageSource{"docker.io/library/alpine:3.19",
                                    {},
                                    oci::Platform{"linux", "amd64", ""},
                                    ResolveMode::kDefault}};
  const VertexId base = def.graph.Add(image);

  ExecOp exec;
  exec.args = {"/bin/sh", "-c", "make"};
  exec.env = {{"PATH", "/bin"}};
  exec.mounts.push_back(Mount{"/", BindMount{0, "", false}, 0});
  CacheMount cache;
  cache.id = "go";
  exec.mounts.push_back(Mount{"/root/.cache", cache, std::nullopt});
  exec.mounts.push_back(Mount{"/out", BindMount{kScratch, "", false}, 1});
  Op run;
  run.inputs = {Edge{base, 0}};
  run.body = exec;
  const VertexId built = def.graph.Add(run);

  CopyAction copy;
  copy.source = 1;
  copy.src = "/app";
  copy.dest = "/app";
  copy.mode = 0755;
  Op file;
  file.inputs = {Edge{base, 0}, Edge{built, 1}};
  file.body = FileOp{0, {copy}};
  const VertexId result = def.graph.Add(file);

  def.target = Edge{result, 0};
  def.metadata[def.graph.digest(base)] = {"[1/3] FROM alpine", SourceRange{"Dockerfile", 1, 1}, {}};
  def.metadata[def.graph.digest(built)] = {"[2/3] RUN \"make\"", SourceRange{"Dockerfile", 2, 4}, {}};
  def.image_config.platform = oci::Platform{"linux", "amd64", ""};
  def.image_config.config.cmd = std::vector<std::string>{"/app"};
  return def;
}

TEST_CASE("the JSON view is valid JSON and the same for the same definition", "[solver][ir]") {
  const std::string text = GraphToJson(Definition());
  CHECK(nlohmann::json::accept(text));
  CHECK(text == GraphToJson(Definition()));
  CHECK(text.substr(0, 4) == "{\n  ");  // two-space indent
  CHECK(text.back() == '\n');
}

TEST_CASE("the JSON view lists every vertex with its digest, op fields and metadata",
          "[solver][ir]") {
  const BuildDefinition def = Definition();
  const auto json = nlohmann::json::parse(GraphToJson(def));
  const auto& vertices = json.at("vertices");
  REQUIRE(vertices.size() == 3);
  for (VertexId id = 0; id < 3; ++id) {
    CHECK(vertices[id].at("digest") == def.graph.digest(id).ToString());
  }

  const auto& image = vertices[0];
  CHECK(image.at("kind") == "source");
  CHECK(image.at("op").at("source").at("type") == "image");
  CHECK(image.at("op").at("source").at("reference") == "docker.io/library/alpine:3.19");
  CHECK(image.at("op").at("source").at("manifest_digest").is_null());
  CHECK(image.at("op").at("source").at("resolve_mode") == "default");
  CHECK(image.at("metadata").at("location") == "Dockerfile:1-1");

  const auto& run = vertices[1];
  CHECK(run.at("kind") == "exec");
  CHECK(run.at("inputs") ==
        nlohmann::json::parse(R"([{"digest": ")" + def.graph.digest(0).ToString() +
                              R"(", "output": 0}])"));
  const auto& op = run.at("op");
  CHECK(op.at("args") == nlohmann::json({"/bin/sh", "-c", "make"}));
  CHECK(op.at("env")[0] == nlohmann::json({{"key", "PATH"}, {"value", "/bin"}}));
  CHECK(op.at("cwd") == "/");
  CHECK(op.at("network") == "sandbox");
  CHECK(op.at("security") == "sandbox");
  CHECK(op.at("proxy_env").empty());
  const auto& cache = op.at("mounts")[1];
  CHECK(cache.at("dest") == "/root/.cache");
  CHECK(cache.at("kind").at("type") == "cache");
  CHECK(cache.at("kind").at("sharing") == "shared");
  CHECK(cache.at("kind").at("source").is_null());  // kScratch
  CHECK(cache.at("kind").at("mode") == "0755");
  CHECK(cache.at("output").is_null());
  CHECK(op.at("mounts")[2].at("output") == 1);
  CHECK(run.at("metadata").at("description") == "[2/3] RUN \"make\"");
  CHECK(run.at("metadata").at("location") == "Dockerfile:2-4");

  const auto& file = vertices[2];
  CHECK(file.at("kind") == "file");
  CHECK(file.at("inputs")[1].at("output") == 1);
  CHECK(file.at("op").at("base") == 0);
  const auto& copy = file.at("op").at("actions")[0];
  CHECK(copy.at("type") == "copy");
  CHECK(copy.at("mode") == "0755");
  CHECK(copy.at("owner").is_null());
  CHECK(copy.at("timestamp").is_null());
  CHECK(file.at("metadata").is_null());

  CHECK(json.at("target").at("digest") == def.graph.digest(2).ToString());
  CHECK(json.at("target").at("output") == 0);
  CHECK(json.at("image_config").is_object());
}

TEST_CASE("the JSON view survives binary file contents", "[solver][ir]") {
  BuildDefinition def;
  Op op;
  op.body = FileOp{kScratch,
                   {MkfileAction{"/bin/x", 0755, std::string("\x7f\x45\xff\x00", 4), std::nullopt,
                                 std::nullopt}}};
  def.graph.Add(op);
  const std::string text = GraphToJson(def);
  CHECK(nlohmann::json::accept(text));
  CHECK(nlohmann::json::parse(text).at("target").is_null());
}

TEST_CASE("the DOT view has one node per vertex and one edge per input", "[solver][ir]") {
  const std::string dot = GraphToDot(Definition());
  CHECK(dot == GraphToDot(Definition()));
  CHECK(dot.rfind("digraph ir {\n", 0) == 0);
  CHECK(dot.substr(dot.size() - 2) == "}\n");
  CHECK(std::count(dot.begin(), dot.end(), '\n') == 1 + 3 + 3 + 1);

  CHECK_THAT(dot, Catch::Contains("  v0 [label=\"source\\n[1/3] FROM alpine\"];\n"));
  CHECK_THAT(dot, Catch::Contains("  v1 [label=\"exec\\n[2/3] RUN \\\"make\\\"\"];\n"));
  // No metadata: the short digest stands in for the description.
  const std::string short_digest = Definition().graph.digest(2).hex().substr(0, 12);
  CHECK_THAT(dot, Catch::Contains("  v2 [label=\"file\\n" + short_digest + "\", peripheries=2];"));
  CHECK_THAT(dot, Catch::Contains("  v0 -> v1;\n"));
  CHECK_THAT(dot, Catch::Contains("  v0 -> v2;\n"));
  CHECK_THAT(dot, Catch::Contains("  v1 -> v2 [label=\"1\"];\n"));
}

TEST_CASE("the DOT view shortens long descriptions without splitting a character", "[solver][ir]") {
  BuildDefinition def = Definition();
  // 47 ASCII bytes, then a 2-byte character across the 48-byte limit.
  def.metadata[def.graph.digest(0)].description = std::string(47, 'a') + "\xc3\xa9" + "tail";
  const std::string dot = GraphToDot(def);
  CHECK_THAT(dot, Catch::Contains("\\n" + std::string(47, 'a') + "...\""));
}

}  // namespace
}  // namespace bt::ir
