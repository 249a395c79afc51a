// PathError: the error of a failed system call on an in-root path, worded as Go's
// *os.PathError that BuildKit users see ("lstat /app/x: no such file or directory"): the
// path is the Dockerfile-visible one, never a host path. The code follows the errno
// (ENOENT -> kNotFound, EEXIST -> kAlreadyExists, EPERM/EACCES -> kPermissionDenied, else
// kIo) and sys_errno keeps it.
#pragma once

#include <string_view>

#include "base/result.h"

namespace bt::executor {

Error PathError(std::string_view op, std::string_view shown_path, int err);

}  // namespace bt::executor
