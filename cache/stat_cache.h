// StatCache: remembers the XXH3-128 content checksum of each regular file of a build context
// under its context-relative path, together with the stat identity it had when it was read,
// so that an unchanged file costs one stat and no read on the next scan (what git's index does
// for `git status`). The entries live in the metadata DB (the "stat_cache" sub-database of
// cache/metadata_db.h), keyed by the context directory's canonical path, so every buildtool
// process on the root shares them and a crash leaves the last saved state. It is only a
// cache: a damaged entry makes the context start over empty, never fails a build. Not
// thread-safe: one scan uses it at a time.
//
// The racy-timestamp rule (git's "racily clean" entries, Documentation/technical/racy-git.txt):
// a file can be changed again within the same timestamp tick in which it was hashed, and its
// stat identity would then not change. The filesystem stamps files from the kernel's coarse
// real-time clock, so StatCache reads that clock (CLOCK_REALTIME_COARSE) when it is loaded
// and when it is saved, before any read its entries come from. A file whose mtime and ctime
// are older than that moment cannot change again without getting a newer timestamp; a file
// stamped at or after it might, so its checksum is used for this scan but never kept.
// `racy_margin` widens "older" for filesystems that round timestamps down (ext4 with small
// inodes: 1 s; FAT: 2 s), where a later change can carry an earlier-looking stamp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"
#include "cache/metadata_db.h"
#include "cache/metadata_records.h"
#include "cache/stat_identity.h"

namespace bt::cache {

struct StatCacheOptions {
  std::chrono::nanoseconds racy_margin = std::chrono::seconds(2);
};

class StatCache {
 public:
  // The stat cache of the context directory `context_dir` (empty when none was saved yet).
  // `db` must outlive the StatCache. kIo when the directory's canonical path cannot be
  // resolved; DB failures as MetadataDb reports them.
  static Result<StatCache> Load(MetadataDb& db, std::string_view context_dir,
                                StatCacheOptions options = {});

  StatCache(StatCache&&) = default;
  StatCache& operator=(StatCache&&) = default;
  StatCache(const StatCache&) = delete;
  StatCache& operator=(const StatCache&) = delete;

  // The cached checksum of `rel_path` if it was recorded with exactly `id`. A hit keeps the
  // entry at the next Save().
  std::optional<Checksum128> Lookup(std::string_view rel_path, const StatIdentity& id);
  // Records a checksum just computed from a file with identity `id` (read after Load() or
  // the last Save()); a racy one (see above) is not recorded.
  void Insert(std::string rel_path, const StatIdentity& id, Checksum128 checksum);
  // In one write transaction, stores the entries inserted and deletes those of files not seen
  // since Load() or the last Save(). Writes nothing when nothing changed, so a warm scan
  // costs no DB write. The calling thread must hold no transaction (MetadataDb::Update).
  Result<void> Save();

  size_t size() const { return entries_.size(); }
  // The canonical absolute path of the context directory.
  const std::string& dir() const { return dir_; }
  // The DB key of a context directory's stat cache: XXH3-128 of its canonical path.
  static ContextKey KeyFor(std::string_view canonical_dir);

 private:
  struct Entry {
    StatIdentity id;
    Checksum128 checksum;
    bool live = false;   // looked up or inserted since Load()/Save(): kept by Save()
    bool dirty = false;  // inserted since Load()/Save(): written by Save()
  };
  StatCache(MetadataDb* db, std::string dir, StatCacheOptions options);
  // Starts a new generation: the coarse clock now, minus the margin.
  void Restamp();

  MetadataDb* db_;
  std::string dir_;
  ContextKey key_{};
  StatCacheOptions options_;
  std::int64_t trusted_before_ns_ = 0;  // entries stamped at or after this are racy
  std::optional<Timestamp> head_last_used_;  // of the stored head; nullopt when none
  bool start_over_ = false;  // the stored entries were damaged: delete them all at Save()
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace bt::cache
