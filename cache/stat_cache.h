// StatCache: remembers the XXH3-128 content checksum of each regular file of a build
// context under its context-relative path, together with the stat identity it had when it
// was read, so that an unchanged file costs one stat and no read on the next scan (what
// git's index does for `git status`). Persisted as one small binary file that the caller
// places (the format is below); it is only a cache: a missing, damaged or other-version
// file loads as empty. Not thread-safe: one scan uses it at a time.
//
// The racy-mtime rule (git's "racily clean" entries, Documentation/technical/racy-git.txt):
// a file can be changed again within the same timestamp tick in which it was hashed, and
// its stat identity would then not change. So an entry is trusted only when the file's
// mtime and ctime are strictly older than the cache file's own mtime, which the
// filesystem sets with the same clock after every entry was hashed. Entries that fail
// this are dropped at Load() (and after Save()), so those files are re-read by the next
// scan, which also re-saves them at a later time and makes them trusted from then on.
//
// File format, version 1, all integers little-endian:
//   header:  8 bytes "btstatc\0", u32 version (1), u32 reserved (0), u64 entry count
//   entry:   u32 path length, path bytes (context-relative, '/'-separated, cleaned),
//            u64 st_dev, u64 st_ino, u64 st_size, i64 mtime ns, i64 ctime ns, u32 st_mode,
//            u64 checksum high half, u64 checksum low half
//   trailer: u64 XXH3-64 of every byte before it (detects torn or corrupt files)
// Entries are sorted by path, so the same cache state always gives the same bytes.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"

namespace bt::cache {

// An XXH3-128 hash (xxHash's XXH128_hash_t halves).
struct Checksum128 {
  uint64_t high = 0;
  uint64_t low = 0;
  bool operator==(const Checksum128&) const = default;
  // 32 lowercase hex digits, high half first (xxHash's canonical big-endian form).
  std::string Hex() const;
};

// What must not change for a cached content checksum to stay valid.
struct StatIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint32_t mode = 0;
  bool operator==(const StatIdentity&) const = default;
  static StatIdentity Of(const struct stat& st);
};

class StatCache {
 public:
  // Reads the cache at `path` (which need not exist; Save() creates it). kIo when the file
  // exists but cannot be read; any content problem just gives an empty cache.
  static Result<StatCache> Load(std::string path);

  StatCache(StatCache&&) = default;
  StatCache& operator=(StatCache&&) = default;
  StatCache(const StatCache&) = delete;
  StatCache& operator=(const StatCache&) = delete;

  // The cached checksum of `rel_path` if it was recorded with exactly `id`. A hit keeps
  // the entry for the next Save().
  std::optional<Checksum128> Lookup(std::string_view rel_path, const StatIdentity& id);
  // Records a checksum just computed from a file with identity `id`.
  void Insert(std::string rel_path, const StatIdentity& id, Checksum128 checksum);
  // Atomically replaces the file (AtomicFile) with the entries looked up or inserted since
  // Load() or the last Save(); entries of files that were not seen are dropped. kIo.
  Result<void> Save();

  size_t size() const { return entries_.size(); }
  const std::string& path() const { return path_; }

 private:
  struct Entry {
    StatIdentity id;
    Checksum128 checksum;
    bool live = false;  // looked up or inserted since the last Load()/Save()
  };
  explicit StatCache(std::string path) : path_(std::move(path)) {}
  void Parse(std::string_view data);
  // Drops entries not strictly older than `cache_mtime_ns` (the racy-mtime rule).
  void DropRacy(int64_t cache_mtime_ns);

  std::string path_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace bt::cache
