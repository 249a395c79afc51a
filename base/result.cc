#include "base/result.h"

#include <cstdio>
#include <cstring>

namespace bt {

Error MakeError(ErrorCode code, std::string message) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

Error ErrnoError(std::string_view op, std::string_view path, int err) {
  Error e;
  e.code = ErrorCode::kIo;
  e.sys_errno = err;
  e.message.append(op).append(" ").append(path).append(": ").append(std::strerror(err));
  return e;
}

void CheckFailed(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: check failed: %s\n", file, line, cond);
  std::abort();
}

}  // namespace bt
