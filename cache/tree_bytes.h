// TreeBytes: how many bytes the regular files below a directory hold (directories, links and
// special files count 0), for snapshot sizes and cache mounts in `du`. A walk on directory
// fds that never follows a symlink. Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace bt::cache {

// kIo naming the entry when a directory cannot be read.
Result<std::uint64_t> TreeBytes(const std::string& dir);

}  // namespace bt::cache
