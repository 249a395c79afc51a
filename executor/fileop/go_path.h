// The few Go path functions whose exact behaviour decides where a BuildKit file action reads
// and writes (path.Join, path.Dir, path.Base, path.Split, and backend.go's cleanPath). Paths
// here are in-root and '/'-separated; nothing touches the file system. Go's path.Clean is
// cache::CleanSlashPath. Stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace bt::executor {

// path.Join(a, b): joined with one '/' and cleaned; empty parts are ignored; "" for two
// empty parts.
std::string GoJoin(std::string_view a, std::string_view b);

// path.Dir: everything before the last '/', cleaned ("." when there is no '/').
std::string GoDir(std::string_view path);

// path.Base: the last element after trailing slashes are dropped; "/" for a path of only
// slashes, "." for "".
std::string GoBase(std::string_view path);

// path.Split: {dir, file} split after the last '/'; dir keeps its trailing '/'.
std::pair<std::string, std::string> GoSplit(std::string_view path);

// solver/llbsolver/file/backend.go cleanPath: path.Join("/", s), but a trailing "/" or "/."
// of `s` survives the cleaning, because it decides whether a destination is a directory.
std::string CleanPathKeepingSlash(std::string_view s);

// The canonical form used inside executor/fileop ("" is the root, "a/b" otherwise) of a
// cleaned absolute path, and back to the form errors show ("/" or "/a/b").
std::string ToRelative(std::string_view clean_absolute);
std::string Shown(std::string_view relative);

}  // namespace bt::executor
