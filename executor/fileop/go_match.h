// Wildcards in COPY/ADD/rm sources, as BuildKit reads them: Go's filepath.Match on Linux
// ('*' and '?' never match '/', '[...]' classes with '^' negation and ranges, '\' escapes),
// and tonistiigi/fsutil copy.go's containsWildcards and splitWildcards, which decide which
// part of a source path is a plain directory and which part is matched. The matcher runs in
// O(pattern x name) time: a star retries its chunk at each later offset, never recursing.
// Stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace bt::executor {

// filepath.Match(pattern, name). A malformed pattern (an unterminated class, a trailing '\',
// an empty range end) matches nothing: fsutil ignores Match's error and so do we.
bool GoPathMatch(std::string_view pattern, std::string_view name);

// containsWildcards: '*', '?' or '[' not escaped by a preceding '\'.
bool ContainsWildcards(std::string_view name);

// splitWildcards: {d1, d2} where d1 is the cleaned leading components without wildcards
// and d2 the rest ("" when the path has none). "/a/b*/c" -> {"/a", "b*/c"}.
std::pair<std::string, std::string> SplitWildcards(std::string_view path);

}  // namespace bt::executor
