// Benchmark, not a test: lowering time (instructions -> IR and image config, parse excluded)
// of a generated 200-stage, 10,000-instruction Dockerfile. Prints the median.
//   build/bin/bench_lower [stages] [instructions] [runs]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "frontend/dockerfile_parser.h"
#include "frontend/dockerfile_to_ir.h"
#include "tests/support/any_image_resolver.h"

namespace {

std::string Generate(int stages, int instructions) {
  std::string out = "ARG BASE=busybox:latest\nARG VERSION=1.0\n";
  const int per_stage = instructions / stages;
  for (int s = 0; s < stages; ++s) {
    const std::string n = std::to_string(s);
    // Every fifth stage builds on the previous one, the others on the base image; the last
    // stage copies from all of them, so the target needs every stage.
    out += s % 5 == 4 ? "FROM s" + std::to_string(s - 1) + " AS s" + n + "\n"
                      : "FROM ${BASE} AS s" + n + "\n";
    if (s == stages - 1) {
      for (int d = 0; d < s; ++d) out += "COPY --from=s" + std::to_string(d) + " /work /all/" + std::to_string(d) + "\n";
    }
    for (int i = 1; i < per_stage; ++i) {
      // Stage-specific values, so that no two stages lower to the same ops.
      const std::string k = n + "_" + std::to_string(i);
      switch (i % 8) {
        case 0: out += "RUN --mount=type=cache,target=/root/.cache echo " + k + " $VERSION\n"; break;
        case 1: out += "ENV K" + k + "=v" + k + " P" + k + "=/opt/" + k + ":$PATH\n"; break;
        case 2: out += "WORKDIR /work/" + k + "\n"; break;
        case 3: out += "COPY src/" + k + " ./dst" + k + "\n"; break;
        case 4: out += "ARG A" + k + "=${VERSION}-" + k + "\n"; break;
        case 5: out += "LABEL l" + k + "=\"" + k + "\"\n"; break;
        case 6: out += s > 0 ? "COPY --from=s0 /work /from0\n" : "USER 1000\n"; break;
        case 7: out += "RUN <<EOF\necho " + k + "\nEOF\n"; break;
      }
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int stages = argc > 1 ? std::atoi(argv[1]) : 200;
  const int instructions = argc > 2 ? std::atoi(argv[2]) : 10000;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 11;
  const std::string text = Generate(stages, instructions);
  auto ast = bt::frontend::ParseDockerfile(text, {});
  if (!ast) {
    std::fprintf(stderr, "parse: %s\n", ast.error().message.c_str());
    return 1;
  }
  bt::frontend::LowerOptions options;
  options.build_platform = bt::oci::Platform{"linux", "amd64", ""};
  std::vector<double> ms;
  std::size_t vertices = 0;
  for (int r = 0; r < runs; ++r) {
    bt::test::AnyImageResolver resolver;
    const auto start = std::chrono::steady_clock::now();
    auto lowered = bt::frontend::LowerDockerfile(*ast, options, resolver);
    const auto end = std::chrono::steady_clock::now();
    if (!lowered) {
      std::fprintf(stderr, "lower: %s\n", lowered.error().message.c_str());
      return 1;
    }
    vertices = lowered->definition.graph.size();
    ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("lower %zu instructions in %d stages to %zu vertices: median %.2f ms, min %.2f ms over %d runs\n",
              ast->instructions.size(), stages, vertices, ms[ms.size() / 2], ms.front(), runs);
  return 0;
}
