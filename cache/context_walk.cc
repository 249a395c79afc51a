#include "cache/context_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>
#include <xxhash.h>

#include "cache/context_assembly.h"
#include "cache/context_checksum.h"

namespace bt::cache {
namespace {

constexpr size_t kReadBufferSize = 256 * 1024;
constexpr size_t kDirBufferSize = 32 * 1024;  // what glibc's readdir reads at a time
// The entries of one directory handed to a task at a time. A warm entry costs a stat and a
// stat-cache lookup (one or two microseconds), so smaller chunks would spend about as much
// on scheduling as on work; a directory this small is scanned by its own task alone.
constexpr size_t kEntriesPerTask = 32;

// What one thread needs to scan entries. Tasks that run on the same thread use it one after
// another: nothing holds it across a wait for other tasks.
struct Worker {
  Worker() : hash_state(XXH3_createState(), &XXH3_freeState) {}
  // File content on its way to the hash: allocated at the first file read, and not zeroed, so
  // that a warm scan, which reads no file, touches none of its pages.
  char* Buffer() {
    if (!buffer) buffer.reset(new char[kReadBufferSize]);
    return buffer.get();
  }
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> hash_state;
  std::unique_ptr<char[]> buffer;
  std::string rel;           // the relative path of the entry being scanned
  std::string scratch;       // checksum encodings
  ScanStats stats;           // this thread's share; added up when the walk ends
};

bool TypeOf(mode_t mode, ContextNodeType* type) {
  switch (mode & S_IFMT) {
    case S_IFREG: *type = ContextNodeType::kRegular; return true;
    case S_IFDIR: *type = ContextNodeType::kDirectory; return true;
    case S_IFLNK: *type = ContextNodeType::kSymlink; return true;
    case S_IFCHR: *type = ContextNodeType::kCharDevice; return true;
    case S_IFBLK: *type = ContextNodeType::kBlockDevice; return true;
    case S_IFIFO: *type = ContextNodeType::kFifo; return true;
    case S_IFSOCK: *type = ContextNodeType::kSocket; return true;
    default: return false;
  }
}

// The entries of the directory open at `fd`, sorted bytewise by name, without "." and "..".
// getdents64 reads `fd` itself, where a DIR stream would cost a dup, an fstat and a close
// more per directory; the fd's offset moves, which the walk's *at calls do not mind.
Result<std::vector<ScannedEntry>> ReadEntries(int fd, const std::string& rel) {
  // Not zeroed: getdents64 fills what it returns.
  const std::unique_ptr<char[]> buffer(new char[kDirBufferSize]);
  // Sorted as (name, type) pairs: an entry is too big to move around in a sort.
  std::vector<std::pair<std::string, unsigned char>> names;
  for (;;) {
    const ssize_t n = ::getdents64(fd, buffer.get(), kDirBufferSize);
    if (n < 0) return ErrnoError("readdir", rel.empty() ? "." : rel, errno);
    if (n == 0) break;
    for (ssize_t offset = 0; offset < n;) {
      const auto* e = reinterpret_cast<const struct dirent64*>(buffer.get() + offset);
      offset += e->d_reclen;
      const std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      names.emplace_back(name, e->d_type);
    }
  }
  std::sort(names.begin(), names.end());
  std::vector<ScannedEntry> entries(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    entries[i].node.name = std::move(names[i].first);
    entries[i].d_type = names[i].second;
  }
  return entries;
}

// Opens a file to hash it. O_NOFOLLOW: a link is never followed; O_NONBLOCK: if the file
// was swapped for a FIFO, the open must not hang.
UniqueFd OpenFileAt(int dir_fd, const std::string& name) {
  return UniqueFd(::openat(dir_fd, name.c_str(),
                           O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
}

Result<std::string> ReadLinkAt(int dir_fd, const std::string& name, const std::string& rel,
                               size_t size_hint) {
  std::string buf(std::max<size_t>(size_hint + 1, 64), '\0');
  for (;;) {
    const ssize_t n = ::readlinkat(dir_fd, name.c_str(), buf.data(), buf.size());
    if (n < 0) return ErrnoError("readlink", rel, errno);
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    buf.resize(buf.size() * 2);
  }
}

// oneTBB orders every task after the code that spawned it and before the wait that joins
// it, but inside libtbb, which ThreadSanitizer cannot see into when it is not instrumented.
// Each hand-off between threads (a task's start and end, a chunk's start and end) also goes
// through this atomic, so that the ordering the walk relies on is checked, not assumed. It
// costs one atomic operation per task, never one per entry.
class Handoff {
 public:
  void Publish() { sequence_.fetch_add(1, std::memory_order_acq_rel); }
  void Receive() const { static_cast<void>(sequence_.load(std::memory_order_acquire)); }

 private:
  std::atomic<uint64_t> sequence_{0};
};

class Walk {
 public:
  explicit Walk(const ContextScanOptions& options)
      : options_(options),
        read_all_(options.stat_cache == nullptr || options.stat_cache->empty()) {}

  Result<std::vector<ContextNode>> Run(UniqueFd root, ScanStats* stats) {
    ScannedDir top;
    top.included = options_.includes == nullptr || options_.includes->everything();
    ScanDir(std::make_shared<const UniqueFd>(std::move(root)), &top);
    group_.wait();
    handoff_.Receive();
    for (const Worker& w : workers_) {
      stats->entries_stated += w.stats.entries_stated;
      stats->files_opened += w.stats.files_opened;
      stats->bytes_read += w.stats.bytes_read;
      stats->cache_hits += w.stats.cache_hits;
    }
    return AssembleNodes(&top);
  }

 private:
  // Scans the entries of the directory open at `fd` (in chunks on several threads when there
  // are many), then starts a task for each subdirectory; returns without waiting for them.
  // `fd` stays open until every subdirectory has been opened from it.
  void ScanDir(std::shared_ptr<const UniqueFd> fd, ScannedDir* dir) {
    Result<std::vector<ScannedEntry>> entries = ReadEntries(fd->get(), dir->rel);
    if (!entries) {
      dir->error = std::make_unique<Error>(std::move(entries).error());
      return;
    }
    dir->entries = std::move(*entries);
    const size_t n = dir->entries.size();
    auto scan = [&](size_t begin, size_t end) {
      Worker& worker = workers_.local();
      for (size_t i = begin; i < end; ++i) ScanEntry(fd->get(), *dir, &dir->entries[i], worker);
    };
    if (n <= kEntriesPerTask) {
      scan(0, n);
    } else {
      handoff_.Publish();
      tbb::parallel_for(tbb::blocked_range<size_t>(0, n, kEntriesPerTask),
                        [&](const tbb::blocked_range<size_t>& r) {
                          handoff_.Receive();
                          scan(r.begin(), r.end());
                          handoff_.Publish();
                        });
      handoff_.Receive();
    }
    handoff_.Publish();
    for (ScannedEntry& e : dir->entries) {
      if (!e.dir) continue;
      group_.run([this, fd, entry = &e] {
        handoff_.Receive();
        OpenAndScanDir(*fd, entry);
        handoff_.Publish();
      });
    }
  }

  // Opens the subdirectory `entry` names below `parent` and scans it; it must still be the
  // directory the parent's fstatat saw.
  void OpenAndScanDir(const UniqueFd& parent, ScannedEntry* entry) {
    ScannedDir* dir = entry->dir.get();
    UniqueFd fd(::openat(parent.get(), entry->node.name.c_str(),
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid()) {
      if (errno == ENOENT) {
        entry->present = false;
        return;
      }
      dir->error = std::make_unique<Error>(ErrnoError("open", dir->rel, errno));
      return;
    }
    struct stat opened;
    if (::fstat(fd.get(), &opened) != 0) {
      dir->error = std::make_unique<Error>(ErrnoError("stat", dir->rel, errno));
      return;
    }
    if (opened.st_dev != dir->dev || opened.st_ino != dir->ino) {
      dir->error = std::make_unique<Error>(ErrnoError("open", dir->rel, EAGAIN)
                                               .Wrap("the directory was replaced during the scan"));
      return;
    }
    ScanDir(std::make_shared<const UniqueFd>(std::move(fd)), dir);
  }

  // Stats one entry of `dir` (open at `dir_fd`) and fills it in: a file's checksum, a link's
  // target, a subdirectory's ScannedDir for its own task. Left-out entries cost no stat when
  // the directory entry already says what they are.
  void ScanEntry(int dir_fd, const ScannedDir& dir, ScannedEntry* e, Worker& w) {
    const std::string& name = e->node.name;
    std::string& rel = w.rel;
    rel.assign(dir.rel);
    if (!rel.empty()) rel.push_back('/');
    rel.append(name);
    const PathPatterns* excludes = options_.excludes;
    const IncludePatterns* includes = options_.includes;
    bool excluded = dir.excluded;
    if (excludes != nullptr) excluded = excludes->Excluded(rel);
    const bool included = dir.included || includes->Included(rel);
    const unsigned char d_type = e->d_type;
    // A symlink on the way to an include pattern ("link/file" with link -> real/) is kept: the
    // resolution of what the build reads goes through it (solver/local_scan.h).
    const bool link_on_the_way = !included && d_type == DT_LNK && includes->MayMatchInside(rel);
    if ((excluded || !included) && d_type != DT_DIR && d_type != DT_UNKNOWN &&
        !(link_on_the_way && !excluded)) {
      return;
    }
    if (excluded && d_type == DT_DIR && !excludes->MayMatchInside(rel)) return;
    if (!included && d_type == DT_DIR && !includes->MayMatchInside(rel)) return;
    UniqueFd file;  // a regular file opened before its stat (see read_all_)
    if (read_all_ && d_type == DT_REG) {
      file = OpenFileAt(dir_fd, name);
      if (!file.valid() && errno == ENOENT) return;  // deleted since readdir
    }
    struct stat st;
    ++w.stats.entries_stated;
    if ((file.valid() ? ::fstat(file.get(), &st)
                      : ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW)) != 0) {
      if (errno != ENOENT) e->error = std::make_unique<Error>(ErrnoError("stat", rel, errno));
      return;  // ENOENT: deleted since readdir
    }
    if (!S_ISREG(st.st_mode)) file.Reset();  // replaced since readdir: never read
    if (excluded && (!S_ISDIR(st.st_mode) || !excludes->MayMatchInside(rel))) return;
    if (!included && !((S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)) &&
                       includes->MayMatchInside(rel))) {
      return;
    }
    ContextNode& node = e->node;
    if (!TypeOf(st.st_mode, &node.type)) return;  // no such file type on Linux
    node.mode = static_cast<uint32_t>(st.st_mode & 07777);
    node.uid = st.st_uid;
    node.gid = st.st_gid;
    if (node.type == ContextNodeType::kCharDevice || node.type == ContextNodeType::kBlockDevice) {
      node.rdev_major = major(st.st_rdev);
      node.rdev_minor = minor(st.st_rdev);
    }
    if (node.type == ContextNodeType::kDirectory) {
      e->dir = std::make_unique<ScannedDir>();
      e->dir->rel = rel;
      e->dir->dev = st.st_dev;
      e->dir->ino = st.st_ino;
      e->dir->excluded = excluded;
      e->dir->included = included;
      e->present = true;
      return;
    }
    std::optional<Checksum128> content;
    if (node.type == ContextNodeType::kSymlink) {
      Result<std::string> target = ReadLinkAt(dir_fd, name, rel, static_cast<size_t>(st.st_size));
      if (!target) {
        e->error = std::make_unique<Error>(std::move(target).error());
        return;
      }
      node.link_target = std::move(*target);
    } else if (node.type == ContextNodeType::kRegular) {
      node.size = static_cast<uint64_t>(st.st_size);
      Result<std::optional<Checksum128>> sum =
          ContentChecksum(dir_fd, name, rel, st, std::move(file), w);
      if (!sum) {
        e->error = std::make_unique<Error>(std::move(sum).error());
        return;
      }
      if (!*sum) return;  // deleted since the stat
      content = **sum;
    }
    node.checksum = LeafChecksum(node, content ? &*content : nullptr, &w.scratch);
    e->present = true;
  }

  // The XXH3-128 of a regular file's bytes, from the stat cache when its identity is
  // unchanged; nullopt when the file vanished after the stat. `fd`, when valid, is the file
  // already open, and `st` its fstat.
  Result<std::optional<Checksum128>> ContentChecksum(int dir_fd, const std::string& name,
                                                     const std::string& rel,
                                                     const struct stat& st, UniqueFd fd,
                                                     Worker& w) {
    const StatIdentity id = StatIdentity::Of(st);
    StatCache* cache = options_.stat_cache;
    // With read_all_, the cache held nothing when the scan began, and a scan visits each path
    // once: a lookup could not hit.
    if (cache != nullptr && !read_all_) {
      if (std::optional<Checksum128> hit = cache->Lookup(rel, id)) {
        ++w.stats.cache_hits;
        return hit;
      }
    }
    if (!fd.valid()) {
      fd = OpenFileAt(dir_fd, name);
      if (!fd.valid()) {
        if (errno == ENOENT) return std::optional<Checksum128>();
        return ErrnoError("open", rel, errno);
      }
      struct stat opened;
      if (::fstat(fd.get(), &opened) != 0) return ErrnoError("stat", rel, errno);
      if (!S_ISREG(opened.st_mode) || opened.st_ino != st.st_ino || opened.st_dev != st.st_dev) {
        return ErrnoError("open", rel, EAGAIN).Wrap("the file was replaced during the scan");
      }
    }
    ++w.stats.files_opened;
    XXH3_state_t* state = w.hash_state.get();
    if (state == nullptr) return MakeError(ErrorCode::kInternal, "allocate the xxhash state");
    XXH3_128bits_reset(state);
    for (;;) {
      char* buffer = w.Buffer();
      const ssize_t n = ::read(fd.get(), buffer, kReadBufferSize);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError("read", rel, errno);
      if (n == 0) break;
      XXH3_128bits_update(state, buffer, static_cast<size_t>(n));
      w.stats.bytes_read += static_cast<uint64_t>(n);
    }
    const XXH128_hash_t h = XXH3_128bits_digest(state);
    const Checksum128 sum{h.high64, h.low64};
    // Cache the checksum only if the file did not change while it was read.
    struct stat after;
    if (cache != nullptr && ::fstat(fd.get(), &after) == 0 && StatIdentity::Of(after) == id) {
      cache->Insert(rel, id, sum);
    }
    return std::optional<Checksum128>(sum);
  }

  const ContextScanOptions& options_;
  // Nothing is in the stat cache, so every regular file will be read: it is opened first and
  // its open file stated, which spares a second path lookup per file. Otherwise a file is
  // stated first, and opened only when the stat cache misses.
  const bool read_all_;
  Handoff handoff_;
  tbb::task_group group_;
  tbb::enumerable_thread_specific<Worker> workers_;
};

}  // namespace

Result<std::vector<ContextNode>> WalkContext(UniqueFd root, const ContextScanOptions& options,
                                             ScanStats* stats) {
  Walk walk(options);
  if (options.threads <= 0) return walk.Run(std::move(root), stats);
  // More threads than oneTBB allows would only make it print a warning.
  const size_t allowed =
      tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
  tbb::task_arena arena(static_cast<int>(std::min<size_t>(options.threads, allowed)));
  return arena.execute([&] { return walk.Run(std::move(root), stats); });
}

}  // namespace bt::cache
