// libFuzzer target: shell-word expansion of arbitrary words under every lexer option. The
// first byte picks the options; a few variables are set, some with spaces and patterns.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "frontend/shell/shell_lexer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::string_view word(reinterpret_cast<const char*>(data + 1), size - 1);
  bt::frontend::ShellLexOptions options;
  options.escape = (mode & 1) ? U'`' : U'\\';
  options.raw_quotes = mode & 2;
  options.raw_escapes = mode & 4;
  options.skip_unset_env = mode & 8;
  options.skip_process_quotes = mode & 16;
  const bt::frontend::MapShellEnv env{
      {"A", "abc"}, {"EMPTY", ""}, {"SP", " a  b "}, {"PAT", "*a?\\*"}, {"NL", "x\ny"}};
  const bt::frontend::ShellLexer lexer(options);
  (void)lexer.ProcessWord(word, env);
  (void)lexer.ProcessWords(word, env);
  return 0;
}
