// A cache of compiled seccomp programs in the runtime's state directory. Compiling the moby
// default profile with libseccomp costs more than everything else a container start does
// (about 10 ms of a 30 ms RUN step here), and a build runs the same profile in every step.
// A program is stored under a hash of everything that determines it (the parsed linux.seccomp,
// the libseccomp version, the native architecture) and holds that whole key, so a hash
// collision is a miss, never a wrong filter. The state directory is the runtime's own (0700,
// the caller's), as trusted as the config itself. Files are written to a temporary name and
// renamed, so concurrent runs read a whole program or none. Thread-safe.
#pragma once

#include <optional>
#include <string>

#include "executor/runtime/seccomp_filter.h"
#include "executor/runtime/spec.h"

namespace bt::executor::runtime {

// The program for `seccomp`, from `cache_dir` when it was compiled before, else compiled
// and stored there (a cache that cannot be written is only slower).
Result<SeccompProgram> CompileSeccompCached(const Seccomp& seccomp, const std::string& cache_dir);

}  // namespace bt::executor::runtime
