// ExecUser: who a RUN step's process runs as, resolved from the Dockerfile USER value against
// the step's own rootfs as BuildKit's executor does it (executor/oci/user.go GetUser over
// moby/sys/user GetExecUser, then WithUIDGID), with names and groups from our own parser of
// the rootfs's /etc/passwd and /etc/group read in-root (fileop/account_files.h; never NSS,
// SECURITY.md cases 15-17). Stateless; thread-safe while the rootfs's /etc is not being written.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "executor/fileop/root_dir.h"

namespace bt::executor {

struct ExecUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  // config.json process.user.additionalGids, as BuildKit passes them: the supplementary
  // groups moby/sys computes (only for USER without a group: every /etc/group entry listing
  // the user's name, in file order, duplicates kept), with the primary gid put first unless
  // it is already listed (executor/oci/user.go ensureAdditionalGids). Never empty.
  std::vector<uint32_t> additional_gids;
  // HOME for a process whose env sets none, as runc fills it in (libcontainer/env.go
  // getUserHome): the home field of the first /etc/passwd entry with this uid, which may be
  // empty; "/" when there is no such entry or the file cannot be read.
  std::string home = "/";
};

// Resolves `user` ("" = root, "name", "uid", "name:group", "uid:gid", "name:gid",
// "uid:group"; fields after a second ':' are ignored, as moby/sys's parseLine does) in
// `rootfs`, which should be the tree the step will see. A numeric user or group is an id,
// never a name. Errors, in BuildKit's words: kInvalidArgument "uids and gids must be in
// range 0-2147483647" for a numeric id out of that range (also in the "uid:gid" form, where
// BuildKit would accept up to 4294967295) or an /etc/passwd or /etc/group entry whose id no
// uid_t holds, too large account files and overlong lines; kNotFound "unable to find user
// NAME: no matching entries in passwd file" / "unable to find group NAME: no matching entries
// in group file". With `user` empty, errors give root (0:0), as BuildKit does.
Result<ExecUser> ResolveExecUser(const RootDir& rootfs, std::string_view user);

}  // namespace bt::executor
