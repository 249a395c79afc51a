// The image config of every positive case in ../shared/conformance/semantics, computed by
// LowerDockerfile, against expected/config.json (what BuildKit produced, normalized by
// extract.sh: only the runtime `config` keys, and absent, null, "", [] and {} all null).
// Negative cases that the frontend can detect must fail to lower; the two that fail only
// when run (a missing COPY source, a failing RUN) belong to the build tests.
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "frontend/dockerfile_parser.h"
#include "frontend/dockerfile_to_ir.h"
#include "tests/support/conformance.h"
#include "tests/support/fake_image_resolver.h"

namespace bt::frontend {
namespace {

using nlohmann::json;

// extract.sh's `norm` over the keys it keeps.
json NormalizedConfig(const oci::ContainerConfig& c) {
  const auto list_or_null = [](const std::vector<std::string>& v) {
    return v.empty() ? json(nullptr) : json(v);
  };
  const auto set_or_null = [](const std::set<std::string>& s) {
    if (s.empty()) return json(nullptr);
    json o = json::object();
    for (const std::string& k : s) o[k] = json::object();
    return o;
  };
  const auto string_or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  json out = json::object();
  std::vector<std::string> env;
  for (const auto& [k, v] : c.env) env.push_back(k + "=" + v);
  out["Env"] = list_or_null(env);
  out["Cmd"] = c.cmd ? list_or_null(*c.cmd) : json(nullptr);
  out["Entrypoint"] = c.entrypoint ? list_or_null(*c.entrypoint) : json(nullptr);
  out["WorkingDir"] = string_or_null(c.working_dir);
  out["User"] = string_or_null(c.user);
  out["Labels"] = c.labels.empty() ? json(nullptr) : json(c.labels);
  out["ExposedPorts"] = set_or_null(c.exposed_ports);
  out["Volumes"] = set_or_null(c.volumes);
  out["StopSignal"] = string_or_null(c.stop_signal);
  out["Shell"] = list_or_null(c.shell);
  out["OnBuild"] = list_or_null(c.on_build);
  out["Healthcheck"] = nullptr;
  if (c.healthcheck) {
    const oci::HealthConfig& h = *c.healthcheck;
    json hc = json::object();
    hc["Test"] = h.test;  // extract.sh keeps Test even when empty
    if (h.interval_ns) hc["Interval"] = h.interval_ns;
    if (h.timeout_ns) hc["Timeout"] = h.timeout_ns;
    if (h.start_period_ns) hc["StartPeriod"] = h.start_period_ns;
    if (h.start_interval_ns) hc["StartInterval"] = h.start_interval_ns;
    if (h.retries) hc["Retries"] = h.retries;
    out["Healthcheck"] = hc;
  }
  return out;
}

// The `args` file: --build-arg=K=V and --target=S lines.
LowerOptions OptionsFor(const std::filesystem::path& dir) {
  LowerOptions options;
  options.build_platform = oci::Platform{"linux", "amd64", ""};
  if (const auto args = test::ReadFile(dir / "args")) {
    std::size_t pos = 0;
    while (pos < args->size()) {
      std::size_t nl = args->find('\n', pos);
      if (nl == std::string::npos) nl = args->size();
      const std::string line = args->substr(pos, nl - pos);
      pos = nl + 1;
      if (line.rfind("--build-arg=", 0) == 0) {
        const std::string kv = line.substr(12);
        const std::size_t eq = kv.find('=');
        options.build_args.emplace_back(kv.substr(0, eq),
                                        eq == std::string::npos ? "" : kv.substr(eq + 1));
      } else if (line.rfind("--target=", 0) == 0) {
        options.target = line.substr(9);
      }
    }
  }
  return options;
}

// bb:latest as make-base.sh makes it: `docker import` of a rootfs, so an empty config.
test::FakeImageResolver BaseImages() {
  test::FakeImageResolver resolver;
  oci::ResolvedImage bb;
  bb.manifest_digest = oci::Digest::Of("bb:latest manifest");
  bb.config.platform = oci::Platform{"linux", "amd64", ""};
  bb.config.diff_ids.push_back(oci::Digest::Of("bb:latest layer"));
  resolver.Add(*oci::ParseReference("bb:latest"), bb);
  return resolver;
}

Result<LoweredBuild> LowerCase(const std::filesystem::path& dir) {
  const std::optional<std::string> text = test::ReadFile(dir / "Dockerfile");
  REQUIRE(text.has_value());
  BT_ASSIGN_OR_RETURN(Ast ast, ParseDockerfile(*text, ParseOptions{}));
  test::FakeImageResolver resolver = BaseImages();
  return LowerDockerfile(ast, OptionsFor(dir), resolver);
}

TEST_CASE("the image config of every semantics case is the one BuildKit wrote",
          "[frontend][semantics][conformance]") {
  int ran = 0, passed = 0;
  std::vector<std::string> failed;
  for (const auto& dir : test::CaseDirs(test::ConformancePath("semantics/cases"))) {
    const auto expected = test::ReadFile(dir / "expected" / "config.json");
    if (!expected) continue;
    ++ran;
    const Result<LoweredBuild> lowered = LowerCase(dir);
    if (!lowered) {
      failed.push_back(dir.filename().string() + ": " + lowered.error().message);
      continue;
    }
    const json got = NormalizedConfig(lowered->definition.image_config.config);
    const json want = json::parse(*expected);
    if (got == want) {
      ++passed;
    } else {
      failed.push_back(dir.filename().string() + ": got " + got.dump() + " want " + want.dump());
    }
  }
  std::cout << "semantics conformance (image config): " << passed << "/" << ran << " cases\n";
  for (const std::string& f : failed) std::cout << "  FAILED " << f << "\n";
  CHECK(ran > 40);
  CHECK(failed.empty());
}

TEST_CASE("negative semantics cases that the frontend can see fail to lower",
          "[frontend][semantics][conformance]") {
  // Decided only when the build runs: a missing COPY source, a RUN that exits non-zero.
  const std::set<std::string> runtime_only = {"neg-missing-source", "neg-run-exit-code"};
  int ran = 0;
  for (const auto& dir : test::CaseDirs(test::ConformancePath("semantics/cases"))) {
    if (!test::ReadFile(dir / "expected" / "error.txt")) continue;
    if (runtime_only.count(dir.filename().string())) continue;
    INFO(dir.filename().string());
    CHECK_FALSE(LowerCase(dir).has_value());
    ++ran;
  }
  std::cout << "semantics conformance (frontend negatives): " << ran << " cases\n";
  CHECK(ran == 7);
}

}  // namespace
}  // namespace bt::frontend
