#include "executor/runtime/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>

#include "base/unique_fd.h"
#include "executor/runtime/json_fields.h"

namespace bt::executor::runtime {
namespace {

constexpr std::array<std::string_view, 8> kIpcKeys = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

}  // namespace

Result<std::string> SysctlFile(std::string_view key, const Linux& linux) {
  const std::string field = "linux.sysctl." + std::string(key);
  // Components become directories under /proc/sys: no empty ones, no "..", no '/'.
  if (key.empty() || key.front() == '.' || key.back() == '.' ||
      key.find("..") != std::string_view::npos || key.find('/') != std::string_view::npos) {
    return FieldError(field, "is not a valid sysctl name");
  }
  bool allowed = false;
  const char* needs = "";
  for (const std::string_view k : kIpcKeys) allowed = allowed || k == key;
  if (allowed || key.rfind("fs.mqueue.", 0) == 0) {
    allowed = linux.Has(NamespaceKind::kIpc);
    needs = "an ipc namespace";
  } else if (key.rfind("net.", 0) == 0) {
    allowed = linux.Has(NamespaceKind::kNetwork);
    needs = "a network namespace";
  } else if (key == "kernel.domainname") {
    allowed = linux.Has(NamespaceKind::kUts);
    needs = "a uts namespace";
  } else {
    return FieldError(field, "is not namespaced: setting it would change the host");
  }
  if (!allowed) return FieldError(field, std::string("needs ") + needs + " in linux.namespaces");
  std::string file = "/proc/sys/";
  for (const char c : key) file.push_back(c == '.' ? '/' : c);
  return file;
}

bool WriteSysctls(const std::vector<std::pair<std::string, std::string>>& sysctls,
                  ChildFailure* failure) {
  for (const auto& [file, value] : sysctls) {
    const UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) return Fail2(failure, "open sysctl", "linux.sysctl", file.c_str(), errno);
    if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
      return Fail2(failure, "write sysctl", "linux.sysctl", file.c_str(), errno);
    }
  }
  return true;
}

}  // namespace bt::executor::runtime
