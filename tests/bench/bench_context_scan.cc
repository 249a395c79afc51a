// bench_context_scan [CONTEXT_DIR] [--runs N] [--threads T]: times ContextScanner on a build
// context with a cold stat cache (every file read and hashed) and a warm one (a stat per
// file), and prints the median of N runs (default 5); T is ContextScanOptions::threads
// (default 0: a thread per core). Without CONTEXT_DIR it generates the
// ../shared/bench/workloads/big-context tree (prepare.sh's 10,000 files, ~50 MB, build/
// excluded by .dockerignore) in a temporary directory. The OS page cache is warm in both
// cases: "cold" is about the stat cache only. Not a test; never run by ctest.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/temp_dir.h"
#include "cache/context_scanner.h"
#include "cache/metadata_db.h"
#include "cache/path_patterns.h"
#include "cache/stat_cache.h"

namespace {

using bt::cache::ContextScanner;
using bt::cache::PathPatterns;
using bt::cache::StatCache;

// prepare.sh, line for line: a MINSTD generator seeded with 20260101, 20-110 lines of
// seven 10-digit numbers per file.
void GenerateBigContext(const std::string& root) {
  auto mkdir = [](const std::string& p) { ::mkdir(p.c_str(), 0755); };
  mkdir(root + "/src");
  mkdir(root + "/build");
  for (int m = 0; m < 9; ++m) {
    mkdir(root + "/src/m" + std::to_string(m));
    for (int p = 0; p < 10; ++p) mkdir(root + "/src/m" + std::to_string(m) + "/p" + std::to_string(p));
  }
  for (int p = 0; p < 10; ++p) mkdir(root + "/build/p" + std::to_string(p));
  long long x = 20260101;
  char name[256];
  char line[128];
  for (int i = 0; i < 10000; ++i) {
    if (i < 9000) {
      std::snprintf(name, sizeof name, "%s/src/m%d/p%d/f%03d.txt", root.c_str(), i / 1000,
                    (i / 100) % 10, i % 100);
    } else {
      std::snprintf(name, sizeof name, "%s/build/p%d/f%03d.txt", root.c_str(), (i - 9000) / 100,
                    i % 100);
    }
    std::string data;
    const int n = 20 + (i * 37) % 91;
    for (int l = 0; l < n; ++l) {
      long long v[7];
      for (long long& e : v) e = x = (x * 48271) % 2147483647;
      std::snprintf(line, sizeof line, "%010lld %010lld %010lld %010lld %010lld %010lld %010lld\n",
                    v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
      data += line;
    }
    std::ofstream(name, std::ios::binary) << data;
  }
  std::ofstream(root + "/.dockerignore") << "build\n";
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

int Fail(const bt::Error& e) {
  std::fprintf(stderr, "bench_context_scan: %s\n", e.message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  int runs = 5;
  int threads = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--threads" && i + 1 < argc) {
      threads = std::max(0, std::atoi(argv[++i]));
    } else {
      dir = arg;
    }
  }
  bt::Result<bt::TempDir> generated = bt::TempDir::Create("", "bt-bench-context-");
  bt::Result<bt::TempDir> state = bt::TempDir::Create("", "bt-bench-statcache-");
  if (!generated) return Fail(generated.error());
  if (!state) return Fail(state.error());
  const bool generated_here = dir.empty();
  if (generated_here) {
    dir = generated->path();
    std::printf("generating big-context in %s\n", dir.c_str());
    GenerateBigContext(dir);
  }
  std::ifstream ignore_file(dir + "/.dockerignore");
  const std::string ignore_text((std::istreambuf_iterator<char>(ignore_file)),
                                std::istreambuf_iterator<char>());
  bt::Result<std::vector<std::string>> lines = bt::cache::ReadDockerignore(ignore_text);
  if (!lines) return Fail(lines.error());
  bt::Result<PathPatterns> excludes = PathPatterns::Parse(*lines);
  if (!excludes) return Fail(excludes.error());
  // Files written just now are racy (StatCache) and would not be cached: a generated context
  // is older than the margin before the first scan, as a checked-out one is.
  const bt::cache::StatCacheOptions options;
  if (generated_here) std::this_thread::sleep_for(options.racy_margin + std::chrono::milliseconds(50));

  bt::Result<bt::cache::MetadataDb> db = bt::cache::MetadataDb::Open(state->path());
  if (!db) return Fail(db.error());
  std::vector<double> cold, warm, save, warm_load, warm_scan, warm_save;
  bt::cache::ScanStats cold_stats, warm_stats;
  for (int r = 0; r < runs; ++r) {
    bt::Result<StatCache> dropped = StatCache::Load(*db, dir);
    if (!dropped) return Fail(dropped.error());
    if (auto cleared = db->Update([&](bt::cache::WriteTxn& txn) {
          return txn.DeleteStatCache(StatCache::KeyFor(dropped->dir()));
        });
        !cleared) {
      return Fail(cleared.error());
    }
    bt::Result<StatCache> cache = StatCache::Load(*db, dir, options);
    if (!cache) return Fail(cache.error());
    ContextScanner scanner({.excludes = &*excludes, .stat_cache = &*cache, .threads = threads});
    const auto start = std::chrono::steady_clock::now();
    bt::Result<bt::cache::ContextTree> tree = scanner.Scan(dir);
    cold.push_back(MillisSince(start));
    if (!tree) return Fail(tree.error());
    cold_stats = scanner.stats();
    const auto save_start = std::chrono::steady_clock::now();
    if (auto saved = cache->Save(); !saved) return Fail(saved.error());
    save.push_back(MillisSince(save_start));
  }
  for (int r = 0; r < runs; ++r) {
    const auto start = std::chrono::steady_clock::now();
    bt::Result<StatCache> cache = StatCache::Load(*db, dir, options);
    if (!cache) return Fail(cache.error());
    const auto scan_start = std::chrono::steady_clock::now();
    ContextScanner scanner({.excludes = &*excludes, .stat_cache = &*cache, .threads = threads});
    bt::Result<bt::cache::ContextTree> tree = scanner.Scan(dir);
    const auto save_start = std::chrono::steady_clock::now();
    if (auto saved = cache->Save(); !saved) return Fail(saved.error());  // writes nothing
    warm.push_back(MillisSince(start));
    warm_load.push_back(std::chrono::duration<double, std::milli>(scan_start - start).count());
    warm_scan.push_back(std::chrono::duration<double, std::milli>(save_start - scan_start).count());
    warm_save.push_back(MillisSince(save_start));
    if (!tree) return Fail(tree.error());
    warm_stats = scanner.stats();
  }
  std::printf("context: %s (%d runs, threads %d)\n", dir.c_str(), runs, threads);
  std::printf("cold scan (empty stat cache): median %8.1f ms  files read %llu, %.1f MB\n",
              Median(cold), static_cast<unsigned long long>(cold_stats.files_opened),
              cold_stats.bytes_read / 1e6);
  std::printf("stat cache save:              median %8.1f ms\n", Median(save));
  std::printf("warm scan (load+scan+save):   median %8.1f ms  files read %llu, cache hits %llu, "
              "stats %llu\n",
              Median(warm), static_cast<unsigned long long>(warm_stats.files_opened),
              static_cast<unsigned long long>(warm_stats.cache_hits),
              static_cast<unsigned long long>(warm_stats.entries_stated));
  std::printf("  warm load / scan / save:    median %8.1f / %.1f / %.1f ms\n", Median(warm_load),
              Median(warm_scan), Median(warm_save));
  return 0;
}
