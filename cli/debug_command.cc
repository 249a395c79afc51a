#include "cli/debug_command.h"

#include <cstdio>

#include "cli/error_report.h"
#include "cli/source_file.h"
#include "frontend/dockerfile_parser.h"

namespace bt::cli {

int RunDebugAst(const std::string& path) {
  Result<std::string> text = ReadSourceFile(path);
  if (!text) {
    std::fputs(FormatError(text.error(), "").c_str(), stderr);
    return 1;
  }
  frontend::ParseOptions options;
  options.file_name = path == "-" ? "<stdin>" : path;
  Result<frontend::Ast> ast = frontend::ParseDockerfile(*text, options);
  if (!ast) {
    std::fputs(FormatError(ast.error(), *text).c_str(), stderr);
    return 1;
  }
  for (const frontend::Warning& w : ast->warnings) {
    std::fprintf(stderr, "%s:%d: warning: %s\n", options.file_name.c_str(), w.line,
                 w.message.c_str());
  }
  const std::string dump = ast->Dump();
  std::fwrite(dump.data(), 1, dump.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

}  // namespace bt::cli
