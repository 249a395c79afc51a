// ListDirectory: the names in an open directory, sorted in byte order as Go's os.ReadDir
// returns them, so walks and copies visit entries in the same order as BuildKit and produce
// the same result (which of several hard links is copied first, which wildcard match wins).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace bt::executor {

// Every name but "." and "..". `shown` names the directory in errors. The fd is borrowed and
// its position left untouched.
Result<std::vector<std::string>> ListDirectory(int dir_fd, const std::string& shown);

}  // namespace bt::executor
