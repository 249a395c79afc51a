// The directories a runtime mounts over in every container (/proc, /dev, /sys) must be real
// directories of the rootfs, or absent. An image whose /proc or /dev is a symlink can make a
// runtime mount or create device nodes outside the rootfs: runc refuses a symlinked /proc
// since 1.1.5 (CVE-2023-28642), but Debian's runc 1.1.5 still follows a symlinked /dev into
// the host and creates its links there (SECURITY.md case 6, found by
// tests/e2e/run_adversarial_test.sh). Checked here, before any runtime sees the bundle, so
// every runtime gets a sound rootfs. Stateless; thread-safe.
#pragma once

#include "base/result.h"
#include "executor/fileop/root_dir.h"

namespace bt::executor {

// kFailedPrecondition naming the path when /proc, /dev or /sys exists and is not a directory.
Result<void> CheckSpecialDirectories(const RootDir& rootfs);

}  // namespace bt::executor
