// The container's namespaces. The runtime clones the child into the user and pid namespaces
// only, writes the uid/gid maps, moves it into its cgroup, and only then does the child,
// now root of its user namespace, unshare the rest (mount, uts, ipc, network, cgroup), as
// runc's nsexec and crun do: namespaces made after the id switch belong to the mapped root
// (the ipc namespace's mqueue root is 0:0, not the unmapped 65534), and the cgroup
// namespace's root is the container's cgroup. The child also brings up the loopback
// interface of a new network namespace (runc and crun do the same, so "network none" still
// has a working 127.0.0.1). A network, uts or ipc namespace with a `path` is joined (setns)
// at that point instead, and its lo is left alone, as runc does for a namespace it did not
// create. Time namespaces, and paths for the other kinds, are refused by ParseSpec.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "executor/runtime/child_failure.h"
#include "executor/runtime/spec.h"

namespace bt::executor::runtime {

// A namespace the child enters with setns (spec.h JoinedNamespace, checked by the runtime).
struct NamespaceJoin {
  int nstype = 0;     // CLONE_NEWNET, CLONE_NEWUTS or CLONE_NEWIPC
  std::string path;   // an nsfs file of that type, when planned
  std::string field;  // "linux.namespaces[4].path"
};

struct NamespacePlan {
  unsigned long clone_flags = 0;     // CLONE_NEWUSER and CLONE_NEWPID: given to clone
  unsigned long unshare_flags = 0;   // the others, CLONE_NEWCGROUP included: unshared later
  std::vector<NamespaceJoin> joins;  // entered before the unshare, in config order
  bool user = false;
  bool network = false;  // a new network namespace (not a joined one): lo is brought up
  std::string uid_map;   // "<container> <host> <size>\n" lines
  std::string gid_map;
  bool deny_setgroups = false;
};

// kInvalidArgument naming the field: no mount namespace, maps without a user namespace or a
// user namespace without maps, a joined namespace together with a new user namespace, a
// joined namespace's file that is not a namespace of its type; kIo (wrapped in the field)
// when that file cannot be opened. `runtime_is_root`: euid 0 in the initial user namespace
// (an unprivileged runtime must deny setgroups before it may write a gid map).
Result<NamespacePlan> PlanNamespaces(const Linux& linux, bool runtime_is_root);

// Writes setgroups (when denied), uid_map and gid_map of process `pid`. kIo with the file.
Result<void> WriteIdMaps(pid_t pid, const NamespacePlan& plan);

// Child side: sets IFF_UP on "lo" of the calling process's network namespace.
bool BringLoopbackUp(ChildFailure* failure);

// Child side: opens `join.path` and moves the calling process into that namespace. The
// descriptor is closed again before this returns.
bool JoinNamespace(const NamespaceJoin& join, ChildFailure* failure);

}  // namespace bt::executor::runtime
