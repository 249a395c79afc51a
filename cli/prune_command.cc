#include "cli/prune_command.h"

#include <cstdio>

#include "cache/prune.h"
#include "cli/cache_root_path.h"
#include "cli/error_report.h"
#include "frontend/instructions/duration.h"
#include "frontend/instructions/ram_size.h"

namespace bt::cli {
namespace {

constexpr int kExitUsage = 2;

}  // namespace

int RunPrune(const PruneFlags& flags) {
  cache::PruneOptions options;
  if (!flags.keep_storage.empty()) {
    const std::optional<std::int64_t> bytes = frontend::RamInBytes(flags.keep_storage);
    if (!bytes || *bytes < 0) {
      std::fprintf(stderr, "invalid --keep-storage value \"%s\": want a size such as 10GB\n",
                   flags.keep_storage.c_str());
      return kExitUsage;
    }
    options.keep_bytes = static_cast<std::uint64_t>(*bytes);
  }
  for (const std::string& filter : flags.filters) {
    if (filter.rfind("until=", 0) != 0) {
      std::fprintf(stderr, "unsupported filter \"%s\": only until=DURATION is known\n",
                   filter.c_str());
      return kExitUsage;
    }
    Result<std::chrono::nanoseconds> d = frontend::ParseGoDuration(filter.substr(6));
    if (!d || d->count() < 0) {
      std::fprintf(stderr, "invalid filter \"%s\": want a duration such as 24h\n", filter.c_str());
      return kExitUsage;
    }
    options.unused_for = std::chrono::duration_cast<std::chrono::seconds>(*d);
  }
  std::optional<cache::CacheRoot> root = OpenCacheRootOrReport(flags.root);
  if (!root) return 1;
  Result<cache::PruneReport> report = cache::Prune(*root, options);
  if (!report) {
    std::fputs(FormatError(report.error(), "").c_str(), stderr);
    return 1;
  }
  for (const cache::CacheRecord& r : report->removed) {
    std::printf("deleted %s %s\n", r.key.hex().substr(0, 12).c_str(), r.description.c_str());
  }
  std::printf(
      "Total:\t%llu bytes freed, %zu records, %zu snapshots, %zu unreferenced blobs (%llu "
      "bytes), %zu stale leases, %zu partial downloads, %zu context stat caches, %zu scratch "
      "dirs of killed builds, %zu cache mounts (%llu bytes)\n",
      static_cast<unsigned long long>(report->freed_bytes + report->blob_bytes_freed +
                                      report->cache_mount_bytes_freed),
      report->removed.size(), report->snapshots_removed, report->blobs_removed,
      static_cast<unsigned long long>(report->blob_bytes_freed), report->stale_leases_reaped,
      report->abandoned_ingests_removed, report->stat_caches_removed,
      report->scratch_dirs_removed, report->cache_mounts_removed,
      static_cast<unsigned long long>(report->cache_mount_bytes_freed));
  return 0;
}

}  // namespace bt::cli
