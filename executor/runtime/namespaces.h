// The container's namespaces. The runtime clones the child into the user and pid namespaces
// only, writes the uid/gid maps, moves it into its cgroup, and only then does the child,
// now root of its user namespace, unshare the rest (mount, uts, ipc, network, cgroup), as
// runc's nsexec and crun do: namespaces made after the id switch belong to the mapped root
// (the ipc namespace's mqueue root is 0:0, not the unmapped 65534), and the cgroup
// namespace's root is the container's cgroup. The child also brings up the loopback
// interface of a new network namespace (runc and crun do the same, so "network none" still
// has a working 127.0.0.1). Joining existing namespaces (`path`) and time namespaces are
// refused by ParseSpec.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.h"
#include "executor/runtime/child_failure.h"
#include "executor/runtime/spec.h"

namespace bt::executor::runtime {

struct NamespacePlan {
  unsigned long clone_flags = 0;    // CLONE_NEWUSER and CLONE_NEWPID: given to clone
  unsigned long unshare_flags = 0;  // the others, CLONE_NEWCGROUP included: unshared later
  bool user = false;
  bool network = false;
  std::string uid_map;  // "<container> <host> <size>\n" lines
  std::string gid_map;
  bool deny_setgroups = false;
};

// kInvalidArgument naming the field: no mount namespace, maps without a user namespace or a
// user namespace without maps. `runtime_is_root`: euid 0 in the initial user namespace (an
// unprivileged runtime must deny setgroups before it may write a gid map).
Result<NamespacePlan> PlanNamespaces(const Linux& linux, bool runtime_is_root);

// Writes setgroups (when denied), uid_map and gid_map of process `pid`. kIo with the file.
Result<void> WriteIdMaps(pid_t pid, const NamespacePlan& plan);

// Child side: sets IFF_UP on "lo" of the calling process's network namespace.
bool BringLoopbackUp(ChildFailure* failure);

}  // namespace bt::executor::runtime
