// ResolveWildcards: the paths a wildcard source names, as tonistiigi/fsutil's
// ResolveWildcards finds them for COPY/ADD and rm: the leading components without wildcards
// are resolved in-root (the last of them followed only when asked), then the tree below is
// walked in lexical order without following symlinks, and every entry whose path relative to
// that directory matches the rest (Go's filepath.Match, so '*' never crosses '/') is a
// result; a matching directory is not searched further. Stateless.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cache/snapshot/in_root_path.h"
#include "executor/fileop/root_dir.h"

namespace bt::executor {

// `path` is a cleaned absolute in-root path. Without wildcards the result is just `path`;
// with them, the matches as in-root paths relative to the root ("a/b"), in walk order.
// kNotFound ("lstat /dir: no such file or directory") when the directory before the first
// wildcard does not exist, as filepath.Walk reports it.
Result<std::vector<std::string>> ResolveWildcards(const RootDir& root, std::string_view path,
                                                  cache::FinalComponent final_component);

}  // namespace bt::executor
