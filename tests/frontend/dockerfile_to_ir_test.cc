// LowerDockerfile: stages, ARG/ENV scoping, ONBUILD and the shape of the IR it produces.
// Expectations follow the Dockerfile reference and BuildKit's dockerfile2llb (cited).
#include "frontend/dockerfile_to_ir.h"

#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "frontend/dockerfile_parser.h"
#include "tests/support/fake_image_resolver.h"

namespace bt::frontend {
namespace {

struct Fixture {
  test::FakeImageResolver resolver;
  LowerOptions options;

  Fixture() {
    options.build_platform = oci::Platform{"linux", "amd64", ""};
    AddImage("busybox", {});
  }

  void AddImage(const std::string& name, oci::ContainerConfig config) {
    oci::ResolvedImage image;
    image.manifest_digest = oci::Digest::Of("manifest " + name);
    image.config.platform = options.build_platform;
    image.config.config = std::move(config);
    image.config.diff_ids.push_back(oci::Digest::Of("layer " + name));
    resolver.Add(*oci::ParseReference(name), image);
  }

  Result<LoweredBuild> Lower(const std::string& dockerfile) {
    Result<Ast> ast = ParseDockerfile(dockerfile, ParseOptions{});
    REQUIRE(ast.has_value());
    return LowerDockerfile(*ast, options, resolver);
  }

  LoweredBuild MustLower(const std::string& dockerfile) {
    Result<LoweredBuild> lowered = Lower(dockerfile);
    if (!lowered) FAIL(lowered.error().message);
    return std::move(*lowered);
  }
};

const ir::ExecOp& ExecAt(const LoweredBuild& b, ir::VertexId id) {
  const auto* exec = std::get_if<ir::ExecOp>(&b.definition.graph.op(id).body);
  REQUIRE(exec != nullptr);
  return *exec;
}

std::string EnvValue(const ir::ExecOp& exec, const std::string& name) {
  for (const auto& [k, v] : exec.env) {
    if (k == name) return v;
  }
  return "<unset>";
}

TEST_CASE("a RUN becomes an exec op on the stage's root with its env, cwd and user",
          "[frontend][lowering]") {
  Fixture f;
  const LoweredBuild b = f.MustLower(
      "FROM busybox\nENV A=1\nWORKDIR /w\nUSER 7\nRUN echo $A\n");
  REQUIRE(b.definition.target);
  const ir::ExecOp& exec = ExecAt(b, b.definition.target->vertex);
  // Shell form goes through /bin/sh -c, unexpanded (the shell expands it).
  CHECK(exec.args == std::vector<std::string>{"/bin/sh", "-c", "echo $A"});
  CHECK(EnvValue(exec, "A") == "1");
  CHECK(EnvValue(exec, "PATH") == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  CHECK(exec.cwd == "/w");
  CHECK(exec.user == "7");
  REQUIRE(exec.mounts.size() == 1);
  CHECK(exec.mounts[0].dest == "/");
  CHECK(exec.mounts[0].output == 0u);
  // The graph: image source, mkdir for WORKDIR, the exec.
  CHECK(b.definition.graph.size() == 3);
  CHECK(b.definition.image_config.history.back().created_by == "RUN /bin/sh -c echo $A # buildkit");
}

TEST_CASE("stages the target does not need are not lowered", "[frontend][lowering]") {
  Fixture f;
  f.options.target = "b";
  const LoweredBuild b = f.MustLower(
      "FROM busybox AS a\nRUN echo a\nFROM busybox AS b\nRUN echo b\nFROM a\nRUN echo c\n");
  CHECK(b.definition.graph.size() == 2);  // busybox and RUN echo b
  CHECK(ExecAt(b, b.definition.target->vertex).args.back() == "echo b");
}

TEST_CASE("identical ops in different stages are one vertex", "[frontend][lowering]") {
  Fixture f;
  const LoweredBuild b = f.MustLower(
      "FROM busybox AS a\nRUN make\nFROM busybox AS b\nRUN make\n"
      "FROM busybox\nCOPY --from=a /x /a\nCOPY --from=b /x /b\n");
  // busybox, one RUN make, and the two COPY steps.
  CHECK(b.definition.graph.size() == 4);
  // The shared vertex belongs to both stages (--no-cache-filter a or b re-runs it).
  const std::set<std::string> both{"a", "b"};
  std::size_t shared = 0, last = 0;
  for (const auto& [digest, meta] : b.definition.metadata) {
    if (meta.description.find("RUN make") != std::string::npos) {
      CHECK(meta.stages == both);
      ++shared;
    }
    if (meta.description.find("COPY --from") != std::string::npos) {
      CHECK(meta.stages == std::set<std::string>{"stage-2"});
      ++last;
    }
  }
  CHECK(shared == 1);
  CHECK(last == 2);
}

TEST_CASE("COPY --from reads the named or numbered stage's result", "[frontend][lowering]") {
  Fixture f;
  const LoweredBuild b = f.MustLower(
      "FROM busybox AS build\nRUN make\nFROM scratch\nCOPY --from=0 /out /out\n");
  const ir::Op& copy = b.definition.graph.op(b.definition.target->vertex);
  const auto* file = std::get_if<ir::FileOp>(&copy.body);
  REQUIRE(file != nullptr);
  CHECK(file->base == ir::kScratch);  // FROM scratch: nothing below the copy
  REQUIRE(copy.inputs.size() == 1);
  CHECK(std::holds_alternative<ir::ExecOp>(b.definition.graph.op(copy.inputs[0].vertex).body));
}

TEST_CASE("stage errors name the problem and the line", "[frontend][lowering]") {
  Fixture f;
  SECTION("an unknown target") {
    f.options.target = "nosuch";
    const auto r = f.Lower("FROM busybox AS a\n");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message == "target stage \"nosuch\" could not be found");
  }
  SECTION("a stage read before it is defined") {
    f.options.target = "a";  // otherwise stage a is not needed and never dispatched
    const auto r = f.Lower("FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\n");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("needs to be defined before current stage") != std::string::npos);
    REQUIRE(r.error().where);
    CHECK(r.error().where->start_line == 2);
  }
  SECTION("a cycle between stages") {
    const auto r = f.Lower("FROM busybox AS a\nCOPY --from=b /x /x\nFROM a AS b\n");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("circular dependency detected on stage") != std::string::npos);
  }
  SECTION("an index past the last stage") {
    const auto r = f.Lower("FROM busybox\nCOPY --from=5 /x /x\n");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message == "invalid stage index 5");
    CHECK(r.error().where->start_line == 2);
  }
  SECTION("a base image that does not exist") {
    const auto r = f.Lower("FROM nosuchimage:1\n");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kNotFound);
    CHECK(r.error().where->start_line == 1);
  }
}

TEST_CASE("global ARGs reach FROM, and a stage sees them only when it redeclares them",
          "[frontend][lowering]") {
  Fixture f;
  f.AddImage("alpine:3", {});
  f.options.build_args = {{"TAG", "3"}};
  const LoweredBuild b = f.MustLower(
      "ARG IMG=alpine\nARG TAG=1\nFROM ${IMG}:${TAG}\nRUN echo\nARG TAG\nRUN echo\n");
  const ir::Op& first = b.definition.graph.op(0);
  const auto* source = std::get_if<ir::SourceOp>(&first.body);
  REQUIRE(source != nullptr);
  CHECK(std::get<ir::ImageSource>(source->source).reference == "docker.io/library/alpine:3");
  const ir::ExecOp& before = ExecAt(b, 1);
  CHECK(EnvValue(before, "TAG") == "<unset>");
  const ir::ExecOp& after = ExecAt(b, b.definition.target->vertex);
  CHECK(EnvValue(after, "TAG") == "3");  // the build arg, not the global default
  // ARG values are in the RUN's environment but never in the image config.
  for (const auto& [k, v] : b.definition.image_config.config.env) CHECK(k != "TAG");
  CHECK(b.definition.image_config.history.back().created_by == "RUN |1 TAG=3 /bin/sh -c echo # buildkit");
}

TEST_CASE("the platform ARGs are predefined in the global scope", "[frontend][lowering]") {
  Fixture f;
  f.options.target_platform = oci::Platform{"linux", "arm64", ""};
  f.AddImage("busybox", {});
  const LoweredBuild b = f.MustLower("FROM busybox\nARG TARGETARCH\nARG BUILDPLATFORM\nRUN true\n");
  const ir::ExecOp& exec = ExecAt(b, b.definition.target->vertex);
  CHECK(EnvValue(exec, "TARGETARCH") == "arm64");
  CHECK(EnvValue(exec, "BUILDPLATFORM") == "linux/amd64");
  CHECK(b.definition.image_config.platform.architecture == "arm64");
}

TEST_CASE("ENV beats ARG and ENTRYPOINT resets an inherited CMD", "[frontend][lowering]") {
  Fixture f;
  oci::ContainerConfig base;
  base.cmd = std::vector<std::string>{"sh"};
  f.AddImage("withcmd", base);
  const LoweredBuild b = f.MustLower(
      "FROM withcmd\nARG V=from-arg\nENV V=from-env\nRUN true\nENTRYPOINT [\"/bin/app\"]\n");
  CHECK(EnvValue(ExecAt(b, b.definition.target->vertex), "V") == "from-env");
  CHECK_FALSE(b.definition.image_config.config.cmd.has_value());
  const LoweredBuild kept = f.MustLower("FROM withcmd\nCMD [\"x\"]\nENTRYPOINT [\"/bin/app\"]\n");
  CHECK(kept.definition.image_config.config.cmd == std::vector<std::string>{"x"});
}

TEST_CASE("ONBUILD triggers of a base image run right after FROM", "[frontend][lowering]") {
  Fixture f;
  oci::ContainerConfig base;
  base.on_build = {"ENV FROM_TRIGGER=1", "RUN touch /triggered"};
  f.AddImage("parent", base);
  const LoweredBuild b = f.MustLower("FROM parent\nRUN ls\n");
  const ir::ExecOp& last = ExecAt(b, b.definition.target->vertex);
  CHECK(last.args.back() == "ls");
  CHECK(EnvValue(last, "FROM_TRIGGER") == "1");
  // Triggers are not inherited by the image being built.
  CHECK(b.definition.image_config.config.on_build.empty());
  const ir::Op& last_op = b.definition.graph.op(b.definition.target->vertex);
  CHECK(ExecAt(b, last_op.inputs[0].vertex).args.back() == "touch /triggered");
}

TEST_CASE("proxy build args reach RUN without an ARG and stay out of the history",
          "[frontend][lowering]") {
  Fixture f;
  f.options.build_args = {{"HTTP_PROXY", "http://proxy:3128"}};
  const LoweredBuild b = f.MustLower("FROM busybox\nRUN true\n");
  const ir::ExecOp& exec = ExecAt(b, b.definition.target->vertex);
  REQUIRE(exec.proxy_env.size() == 1);
  CHECK(exec.proxy_env[0].second == "http://proxy:3128");
  CHECK(b.definition.image_config.history.back().created_by == "RUN /bin/sh -c true # buildkit");
  CHECK(b.warnings.empty());
}

TEST_CASE("a build arg that no stage declares gives a warning", "[frontend][lowering]") {
  Fixture f;
  f.options.build_args = {{"UNUSED", "1"}};
  const LoweredBuild b = f.MustLower("FROM busybox\n");
  REQUIRE(b.warnings.size() == 1);
  CHECK(b.warnings[0].message.find("UNUSED") != std::string::npos);
}

TEST_CASE("COPY from the context names its sources in the context's include patterns",
          "[frontend][lowering]") {
  Fixture f;
  const LoweredBuild b = f.MustLower("FROM busybox\nCOPY a.txt src/ /dst/\n");
  const ir::Op& copy = b.definition.graph.op(b.definition.target->vertex);
  REQUIRE(copy.inputs.size() == 2);
  const auto& source = std::get<ir::SourceOp>(b.definition.graph.op(copy.inputs[1].vertex).body);
  const auto& local = std::get<ir::LocalSource>(source.source);
  CHECK(local.name == "context");
  CHECK(local.include_patterns == std::vector<std::string>{"/a.txt", "/src"});
}

}  // namespace
}  // namespace bt::frontend

namespace bt::frontend {
namespace {

TEST_CASE("a trigger that copies from a stage makes that stage needed", "[frontend][lowering]") {
  // resolveStages in dockerfile2llb/convert.go: triggers can add dependencies.
  Fixture f;
  oci::ContainerConfig base;
  base.on_build = {"COPY --from=helper /tool /tool"};
  f.AddImage("onbuild-parent", base);
  const LoweredBuild b = f.MustLower(
      "FROM busybox AS helper\nRUN make-tool\nFROM onbuild-parent\nRUN ls\n");
  bool helper_built = false;
  for (ir::VertexId v = 0; v < b.definition.graph.size(); ++v) {
    const auto* exec = std::get_if<ir::ExecOp>(&b.definition.graph.op(v).body);
    if (exec && exec->args.back() == "make-tool") helper_built = true;
  }
  CHECK(helper_built);
}

}  // namespace
}  // namespace bt::frontend

namespace bt::frontend {
namespace {

std::set<std::string> Descriptions(const LoweredBuild& b) {
  std::set<std::string> out;
  for (const auto& [digest, meta] : b.definition.metadata) out.insert(meta.description);
  return out;
}

// dockerfile2llb's prefixCommand: "[stage i/n] " with n counting FROM an image, RUN, COPY,
// ADD and WORKDIR, the number padded to n's width, and no stage name for a single stage.
TEST_CASE("step names carry BuildKit's stage and step numbers", "[frontend][lowering]") {
  Fixture f;
  SECTION("one stage: no name, padded numbers") {
    std::string df = "FROM busybox\n";
    for (int i = 0; i < 10; ++i) df += "RUN step" + std::to_string(i) + "\n";
    const std::set<std::string> names = Descriptions(f.MustLower(df));
    CHECK(names.count("[ 1/11] FROM busybox") == 1);
    CHECK(names.count("[ 2/11] RUN step0") == 1);
    CHECK(names.count("[11/11] RUN step9") == 1);
  }
  SECTION("several stages: named or stage-N; scratch is not a step") {
    const std::set<std::string> names = Descriptions(
        f.MustLower("FROM scratch AS files\nWORKDIR /w\nFROM busybox\nENV A=1\n"
                    "COPY --from=files /w /w\nRUN true\n"));
    CHECK(names.count("[files 1/1] WORKDIR /w") == 1);
    CHECK(names.count("[stage-1 1/3] FROM busybox") == 1);
    CHECK(names.count("[stage-1 2/3] COPY --from=files /w /w") == 1);
    CHECK(names.count("[stage-1 3/3] RUN true") == 1);
  }
}

}  // namespace
}  // namespace bt::frontend

namespace bt::frontend {
namespace {

// convert_copy.go: url.Parse(src), then path.Base(u.Path) unless "." or "/", else
// "__unnamed__" (also when the URL does not parse).
TEST_CASE("ADD of a URL names the file as BuildKit does", "[frontend][lowering]") {
  Fixture f;
  const auto filename = [&](const std::string& url) {
    const LoweredBuild b = f.MustLower("FROM scratch\nADD " + url + " /d/\n");
    for (ir::VertexId v = 0; v < b.definition.graph.size(); ++v) {
      const auto* src = std::get_if<ir::SourceOp>(&b.definition.graph.op(v).body);
      if (src == nullptr) continue;
      if (const auto* http = std::get_if<ir::HttpSource>(&src->source)) return http->filename;
    }
    FAIL("no HTTP source");
    return std::string();
  };
  CHECK(filename("http://h/a%20b.txt") == "a b.txt");
  CHECK(filename("http://h/dir/f.tar.gz?x=1#frag") == "f.tar.gz");
  CHECK(filename("http://h/dir/") == "dir");
  CHECK(filename("http://h/") == "__unnamed__");
  CHECK(filename("http://h") == "__unnamed__");
  CHECK(filename("http://h/bad%zz") == "__unnamed__");
  CHECK(filename("http://h/x%2Fy") == "y");  // the decoded path has a '/'
}

}  // namespace
}  // namespace bt::frontend
