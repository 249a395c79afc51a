// ModeExpression: a `COPY --chmod` value in chmod(1) form, parsed and applied as BuildKit
// does (tonistiigi/dchapes-mode, a Go port of BSD setmode(3)/getmode(3), used by fsutil with
// a umask of 0): comma-separated clauses `[ugoa]*[+-=][rwxXst|ugo]*`, several operators per
// clause (`u+r-w`), copies between classes (`go=u-w`), `X` (execute only if some execute bit
// is set or the file is a directory), and an absolute octal number (`755`, at most 07777).
// Immutable after Parse(); thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bt::executor {

class ModeExpression {
 public:
  // kInvalidArgument with the text when it is not a mode dchapes-mode accepts.
  static Result<ModeExpression> Parse(std::string_view text);

  // The new mode for a file whose st_mode is `mode`: its file-type bits are kept, its 07777
  // bits changed as the expression says.
  mode_t Apply(mode_t mode) const;

 private:
  // One step of the program, as setmode's bitcmd: '+' sets `bits`, '-' clears them, 'X'
  // sets them when the old mode has an execute bit or is a directory, and 'u'/'g'/'o' copy
  // that class's current bits into the classes named by `copy` (with set/clear flags).
  struct Step {
    char op = '+';
    uint8_t copy = 0;
    uint16_t bits = 0;
  };
  void Add(char op, uint16_t who, uint16_t arg);

  std::vector<Step> steps_;
};

}  // namespace bt::executor
