#include "executor/runtime/child_failure.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace bt::executor::runtime {

bool Fail(ChildFailure* failure, const char* stage, const char* detail, int err) {
  std::snprintf(failure->stage, sizeof failure->stage, "%s", stage);
  std::snprintf(failure->detail, sizeof failure->detail, "%s", detail);
  failure->sys_errno = err;
  return false;
}

bool Fail2(ChildFailure* failure, const char* stage, const char* detail1, const char* detail2,
           int err) {
  std::snprintf(failure->stage, sizeof failure->stage, "%s", stage);
  std::snprintf(failure->detail, sizeof failure->detail, "%s %s", detail1, detail2);
  failure->sys_errno = err;
  return false;
}

Error ToError(const ChildFailure& failure) {
  const std::string stage(failure.stage, strnlen(failure.stage, sizeof failure.stage));
  const std::string detail(failure.detail, strnlen(failure.detail, sizeof failure.detail));
  if (failure.sys_errno != 0) return ErrnoError(stage, detail, failure.sys_errno);
  std::string message = stage;
  if (!detail.empty()) message.append(" ").append(detail);
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace bt::executor::runtime
