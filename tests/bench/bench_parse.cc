// Benchmark, not a test: parse time of a generated 10,000-instruction Dockerfile with mixed
// instructions, continuations and heredocs. Prints the median of repeated runs.
//   build/bin/bench_parse [instructions] [runs]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "frontend/dockerfile_parser.h"

namespace {

std::string GenerateDockerfile(int instructions) {
  std::string out = "# syntax=docker/dockerfile:1\nARG BASE=busybox\n";
  int n = 1;  // the ARG above
  for (int i = 0; n < instructions; ++i) {
    const std::string s = std::to_string(i);
    switch (i % 10) {
      case 0: out += "FROM ${BASE} AS stage" + s + "\n"; break;
      case 1: out += "RUN set -eux; \\\n    echo step " + s + " && \\\n    # a comment\n    touch /tmp/f" + s + "\n"; break;
      case 2: out += "COPY --chown=1000:1000 --chmod=644 src/" + s + " /app/" + s + "\n"; break;
      case 3: out += "ENV KEY" + s + "=\"value " + s + "\" OTHER" + s + "=x\n"; break;
      case 4: out += "RUN <<EOF\n#!/bin/sh\necho heredoc " + s + "\nls -la /\nEOF\n"; break;
      case 5: out += "LABEL org.example.n" + s + "=\"" + s + "\" maintainer=me\n"; break;
      case 6: out += "CMD [\"/bin/sh\", \"-c\", \"echo " + s + "\"]\n"; break;
      case 7: out += "WORKDIR /work/" + s + "\n"; break;
      case 8: out += "COPY <<-EOT /etc/conf" + s + "\n\tkey=" + s + "\n\tEOT\n"; break;
      case 9: out += "RUN --mount=type=cache,target=/root/.cache apk add --no-cache \\\n      curl git " + s + "\n"; break;
    }
    ++n;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int instructions = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 21;
  const std::string text = GenerateDockerfile(instructions);
  std::vector<double> ms;
  std::size_t parsed = 0;
  for (int r = 0; r < runs; ++r) {
    const auto start = std::chrono::steady_clock::now();
    auto ast = bt::frontend::ParseDockerfile(text, {});
    const auto end = std::chrono::steady_clock::now();
    if (!ast) {
      std::fprintf(stderr, "parse failed: %s\n", ast.error().message.c_str());
      return 1;
    }
    parsed = ast->instructions.size();
    ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("parse %zu instructions (%zu bytes): median %.2f ms, min %.2f ms, max %.2f ms over %d runs\n",
              parsed, text.size(), ms[ms.size() / 2], ms.front(), ms.back(), runs);
  return 0;
}
