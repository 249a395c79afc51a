// Benchmark, not a test: unpacking time of a generated ~300 MB uncompressed layer (a tree of
// about 12,000 files: mostly small, some medium, a few large) by ApplyLayer and by `tar -x` into a
// fresh directory on the same filesystem. Prints the median of each.
//   bench_layer_apply [megabytes] [runs] [dir]   (defaults: 300, 3, $TMPDIR or /tmp)
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/temp_dir.h"
#include "base/unique_fd.h"
#include "cache/snapshot/layer_apply.h"

namespace {

struct Generated {
  uint64_t files = 0;
  uint64_t dirs = 0;
  uint64_t bytes = 0;
};

// xorshift64: deterministic sizes and contents, so runs are comparable.
uint64_t Next(uint64_t& s) {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

uint64_t PickSize(uint64_t& rng) {
  uint64_t r = Next(rng) % 1000;
  if (r < 950) return Next(rng) % (16 * 1024);                 // 95%: up to 16 KiB
  if (r < 999) return 32 * 1024 + Next(rng) % (224 * 1024);    // 4.9%: 32 .. 256 KiB
  return 4 * 1024 * 1024 + Next(rng) % (12 * 1024 * 1024);     // 0.1%: 4 .. 16 MiB
}

bool Generate(const std::string& path, uint64_t target_bytes, Generated* out) {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (archive_write_open_filename(a, path.c_str()) != ARCHIVE_OK) {
    std::fprintf(stderr, "open %s: %s\n", path.c_str(), archive_error_string(a));
    return false;
  }
  std::vector<char> data(16 * 1024 * 1024 + 1);
  uint64_t rng = 0x9e3779b97f4a7c15ull;
  for (char& c : data) c = static_cast<char>('a' + Next(rng) % 26);
  struct archive_entry* e = archive_entry_new();
  auto header = [&](const std::string& name, mode_t type, mode_t perm, uint64_t size) {
    archive_entry_clear(e);
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    archive_entry_set_size(e, static_cast<la_int64_t>(size));
    archive_entry_set_mtime(e, 1700000000, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    return archive_write_header(a, e) == ARCHIVE_OK;
  };
  int dir = -1;
  while (out->bytes < target_bytes) {
    if (out->files % 50 == 0) {
      ++dir;
      const std::string d = "usr/share/pkg" + std::to_string(dir / 10) + "/sub" + std::to_string(dir) + "/";
      if (dir % 10 == 0 && !header("usr/share/pkg" + std::to_string(dir / 10) + "/", AE_IFDIR, 0755, 0)) return false;
      if (!header(d, AE_IFDIR, 0755, 0)) return false;
      ++out->dirs;
    }
    const uint64_t size = PickSize(rng);
    const std::string name = "usr/share/pkg" + std::to_string(dir / 10) + "/sub" + std::to_string(dir) +
                             "/file" + std::to_string(out->files) + ".dat";
    if (!header(name, AE_IFREG, 0644, size)) return false;
    const uint64_t offset = Next(rng) % (data.size() - size);
    if (archive_write_data(a, data.data() + offset, size) != static_cast<la_ssize_t>(size)) return false;
    ++out->files;
    out->bytes += size;
  }
  archive_entry_free(e);
  bool ok = archive_write_close(a) == ARCHIVE_OK;
  archive_write_free(a);
  return ok;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t megabytes = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 300;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  const std::string parent = argc > 3 ? argv[3] : "";
  auto tmp = bt::TempDir::Create(parent, "bench_layer_apply.");
  if (!tmp) {
    std::fprintf(stderr, "%s\n", tmp.error().message.c_str());
    return 1;
  }
  const std::string tar = tmp->path() + "/layer.tar";
  Generated g;
  if (!Generate(tar, megabytes * 1024 * 1024, &g)) return 1;
  std::printf("layer: %llu files, %llu directories, %.1f MB of file data\n",
              static_cast<unsigned long long>(g.files), static_cast<unsigned long long>(g.dirs),
              g.bytes / 1e6);

  bt::cache::ApplyOptions options;
  options.ownership = ::geteuid() == 0 ? bt::cache::OwnershipPolicy::kFromArchive
                                       : bt::cache::OwnershipPolicy::kCaller;
  std::vector<double> apply_s, tar_s;
  for (int run = 0; run < runs; ++run) {
    for (int tool = 0; tool < 2; ++tool) {
      const std::string dest = tmp->path() + "/out" + std::to_string(run) + "_" + std::to_string(tool);
      if (::mkdir(dest.c_str(), 0755) != 0) return 1;
      ::sync();  // write back the previous run outside the timed part
      const auto start = std::chrono::steady_clock::now();
      if (tool == 0) {
        bt::UniqueFd layer(::open(tar.c_str(), O_RDONLY | O_CLOEXEC));
        bt::UniqueFd dir(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        auto stats = bt::cache::ApplyLayer(layer.get(), dir.get(), {}, options);
        if (!stats) {
          std::fprintf(stderr, "ApplyLayer: %s\n", stats.error().message.c_str());
          return 1;
        }
      } else {
        const std::string cmd = "tar -xf '" + tar + "' -C '" + dest + "'";
        if (std::system(cmd.c_str()) != 0) {
          std::fprintf(stderr, "%s failed\n", cmd.c_str());
          return 1;
        }
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      (tool == 0 ? apply_s : tar_s).push_back(s);
      if (auto removed = bt::RemoveTree(dest); !removed) {
        std::fprintf(stderr, "%s\n", removed.error().message.c_str());
        return 1;
      }
    }
  }
  std::printf("ApplyLayer: median %.3f s of %d runs (%.0f MB/s)\n", Median(apply_s), runs,
              g.bytes / 1e6 / Median(apply_s));
  std::printf("tar -x:     median %.3f s of %d runs (%.0f MB/s)\n", Median(tar_s), runs,
              g.bytes / 1e6 / Median(tar_s));
  return 0;
}
