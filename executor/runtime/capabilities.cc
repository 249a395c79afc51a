#include "executor/runtime/capabilities.h"

#include <errno.h>
#include <sys/prctl.h>

#include <cstdio>

#include "executor/runtime/kernel_names.h"
#include "executor/runtime/syscalls.h"

namespace bt::executor::runtime {

bool DropBoundingSet(std::uint64_t keep, ChildFailure* failure) {
  // PR_CAPBSET_READ fails with EINVAL past the kernel's last capability; that ends the loop,
  // so capabilities newer than our headers are dropped too.
  for (int cap = 0; cap < 64 && ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; ++cap) {
    if ((keep >> cap) & 1) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      char name[48];
      std::snprintf(name, sizeof name, "%.40s", CapabilityName(cap).data());
      return Fail2(failure, "drop from the bounding set", "process.capabilities.bounding", name,
                   errno);
    }
  }
  return true;
}

bool SetCapabilities(const CapabilitySets& sets, ChildFailure* failure) {
  __user_cap_header_struct header = {};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[2] = {};
  for (int word = 0; word < 2; ++word) {
    const int shift = 32 * word;
    data[word].effective = static_cast<std::uint32_t>(sets.effective >> shift);
    data[word].permitted = static_cast<std::uint32_t>(sets.permitted >> shift);
    data[word].inheritable = static_cast<std::uint32_t>(sets.inheritable >> shift);
  }
  if (sys::CapSet(&header, data) != 0) {
    return Fail(failure, "set capabilities", "process.capabilities", errno);
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    return Fail(failure, "clear the ambient capabilities", "process.capabilities.ambient", errno);
  }
  for (int cap = 0; cap < 64; ++cap) {
    if (((sets.ambient >> cap) & 1) == 0) continue;
    // The kernel refuses an ambient capability that is not both permitted and inheritable;
    // runc only warns, we fail: the process would silently run with less than asked for.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      char name[48];
      std::snprintf(name, sizeof name, "%.40s", CapabilityName(cap).data());
      return Fail2(failure, "raise the ambient capability (it must be permitted and inheritable)",
                   "process.capabilities.ambient", name, errno);
    }
  }
  return true;
}

}  // namespace bt::executor::runtime
