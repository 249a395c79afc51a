// libFuzzer target: any bytes as a Dockerfile. The parser must return a Result, never crash,
// hang or break its own invariants.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "frontend/dockerfile_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bt::Result<bt::frontend::Ast> ast = bt::frontend::ParseDockerfile(text, {});
  if (!ast) {
    if (!ast.error().where) std::abort();  // every parse error carries its lines
    return 0;
  }
  int previous_end = 0;
  for (const bt::frontend::Node& n : ast->instructions) {
    if (n.start_line <= previous_end || n.end_line < n.start_line) std::abort();
    previous_end = n.end_line;
  }
  (void)ast->Dump();
  return 0;
}
