#include "cli/startup_warmup.h"

#include <system_error>

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "oci/digest.h"

namespace bt::cli {

StartupWarmup::StartupWarmup() {
  try {
    thread_ = std::thread([] {
      // One task per slot, so that oneTBB starts every worker the machine gets (it creates
      // them on demand) and loads its allocator now rather than in the first scan.
      const int slots = tbb::this_task_arena::max_concurrency();
      tbb::parallel_for(0, slots, [](int) {});
      oci::Sha256Hasher warm;
      warm.Update("warm-up");
      static_cast<void>(warm.Finish());
    });
  } catch (const std::system_error&) {
    // No thread to spare: the same work is then done in line when first needed, only later.
  }
}

StartupWarmup::~StartupWarmup() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace bt::cli
