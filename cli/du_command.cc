#include "cli/du_command.h"

#include <cstdio>
#include <ctime>

#include "cache/cache_root.h"
#include "cache/integrity.h"
#include "cli/cache_root_path.h"
#include "cli/error_report.h"

namespace bt::cli {
namespace {

// 1024-based units with one decimal, as docker prints sizes ("12.3MB").
std::string HumanSize(std::uint64_t bytes) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 4) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), unit == 0 ? "%.0f%s" : "%.1f%s", v, kUnits[unit]);
  return buf;
}

std::string FormatTime(cache::Timestamp t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

int RunDu(const std::string& root_flag, DuDetail detail) {
  std::optional<cache::CacheRoot> root = OpenCacheRootOrReport(root_flag);
  if (!root) return 1;
  Result<cache::DiskUsage> usage = cache::ComputeDiskUsage(*root);
  if (!usage) {
    std::fputs(FormatError(usage.error(), "").c_str(), stderr);
    return 1;
  }
  if (!usage->entries.empty()) {
    std::printf("%-16s %-12s %-10s %-21s %s\n", "ID", "RECLAIMABLE", "SIZE", "LAST USED",
                "DESCRIPTION");
  }
  for (const cache::DiskUsageEntry& e : usage->entries) {
    const std::string hex = e.record.key.hex();
    std::printf("%-16s %-12s %-10s %-21s %s\n", hex.substr(0, 12).c_str(),
                e.leased ? "false" : "true", HumanSize(e.record.size_bytes).c_str(),
                FormatTime(e.record.last_used).c_str(), e.record.description.c_str());
    if (detail == DuDetail::kVerbose) {
      std::printf("  key: %s\n  created: %s\n", e.record.key.ToString().c_str(),
                  FormatTime(e.record.created).c_str());
      for (const std::string& id : e.record.snapshot_ids) std::printf("  snapshot: %s\n", id.c_str());
    }
  }
  std::printf("Reclaimable:\t%s\n", HumanSize(usage->reclaimable_bytes).c_str());
  std::printf("Total:\t\t%s\n", HumanSize(usage->records_bytes).c_str());
  std::printf("Blobs:\t\t%s in %zu blobs\n", HumanSize(usage->blob_bytes).c_str(),
              usage->blob_count);
  std::printf("Cache mounts:\t%s in %zu\n", HumanSize(usage->cache_mount_bytes).c_str(),
              usage->cache_mount_count);
  return 0;
}

int RunDuCheck(const std::string& root_flag, DuCheck mode) {
  if (mode == DuCheck::kRepair) {
    // A DB too damaged to open is set aside; the repair below then drops what it described.
    const std::string path = CacheRootPath(root_flag);
    Result<cache::CacheRoot> probe = cache::CacheRoot::Open(path);
    if (!probe && probe.error().code == ErrorCode::kDataLoss) {
      Result<std::string> aside = cache::SetAsideCorruptDb(path);
      if (!aside) {
        std::fputs(FormatError(aside.error(), "").c_str(), stderr);
        return 1;
      }
      std::printf("repaired corrupt metadata DB: moved to %s\n", aside->c_str());
    }
  }
  std::optional<cache::CacheRoot> root = OpenCacheRootOrReport(root_flag);
  if (!root) return 1;
  const cache::RepairMode repair =
      mode == DuCheck::kRepair ? cache::RepairMode::kRepair : cache::RepairMode::kReportOnly;
  Result<cache::IntegrityReport> report = cache::CheckIntegrity(*root, repair);
  if (!report) {
    std::fputs(FormatError(report.error(), "").c_str(), stderr);
    return 1;
  }
  for (const cache::Damage& d : report->damage) {
    std::printf("%s %s: %s: %s\n", mode == DuCheck::kRepair ? "repaired" : "damaged",
                std::string(cache::DamageKindName(d.kind)).c_str(), d.what.c_str(),
                d.detail.c_str());
  }
  std::printf("checked %zu blobs, %zu snapshots, %zu cache records: %zu problems\n",
              report->blobs_checked, report->snapshots_checked, report->records_checked,
              report->damage.size());
  return report->damage.empty() || mode == DuCheck::kRepair ? 0 : 1;
}

}  // namespace bt::cli
