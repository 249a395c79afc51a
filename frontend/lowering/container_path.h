// Paths inside an image (always '/'-separated, Linux), with the semantics of Go's path
// package and BuildKit's util/system.NormalizePath, which the Dockerfile frontend uses for
// WORKDIR and COPY/ADD destinations. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace bt::frontend {

// Go path.Clean: lexical cleanup; "" becomes ".".
std::string CleanPath(std::string_view path);
// Go path.Join: joins the non-empty elements and cleans; all empty gives "".
std::string JoinPath(std::string_view a, std::string_view b);

enum class TrailingSlash { kDrop, kKeep };
// system.NormalizePath for Linux: an absolute path; a relative `path` is joined to `parent`
// (itself made absolute); an empty `path` is `parent`. With kKeep a trailing "/" or "/." of
// `path` survives the cleanup (it tells COPY that the destination is a directory).
std::string NormalizePath(std::string_view parent, std::string_view path, TrailingSlash slash);

// system.NormalizeWorkdir: the new WORKDIR given the current one.
inline std::string NormalizeWorkdir(std::string_view current, std::string_view wd) {
  return NormalizePath(current, wd, TrailingSlash::kDrop);
}

}  // namespace bt::frontend
