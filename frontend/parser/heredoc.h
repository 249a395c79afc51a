// Which heredocs an instruction line opens (`RUN <<EOF`, `COPY <<-"A" 3<<B /d`), decided as
// BuildKit's heredocsFromLine / ParseHeredoc decide it. Bodies are read by the caller.
// Pure; thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "base/result.h"
#include "frontend/parser/ast.h"

namespace bt::frontend {

// The heredocs of a whole logical line (keyword included), in order, with empty content.
// The line is split into words with the shell-word rules ('\' as escape, whatever the
// escape directive says); a line that does not split (an unbalanced quote) opens none.
Result<std::vector<Heredoc>> HeredocsFromLine(std::string_view line);

// One word: a heredoc when it matches `^(\d*)<<(-?)\s*([^<]*)$` with a one-word name.
Result<std::optional<Heredoc>> ParseHeredocWord(std::string_view word);

}  // namespace bt::frontend
