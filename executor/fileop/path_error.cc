#include "executor/fileop/path_error.h"

#include <errno.h>

#include <cctype>
#include <cstring>
#include <string>

namespace bt::executor {

Error PathError(std::string_view op, std::string_view shown_path, int err) {
  std::string why = std::strerror(err);
  // glibc's texts are Go's syscall texts with a capital first letter.
  if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
  Error e = MakeError(ErrorCode::kIo, std::string(op) + " " + std::string(shown_path) + ": " + why);
  e.sys_errno = err;
  if (err == ENOENT) e.code = ErrorCode::kNotFound;
  if (err == EEXIST) e.code = ErrorCode::kAlreadyExists;
  if (err == EPERM || err == EACCES) e.code = ErrorCode::kPermissionDenied;
  return e;
}

}  // namespace bt::executor
