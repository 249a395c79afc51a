// StatCache: remembers the XXH3-128 content checksum of each regular file of a build context
// under its context-relative path, together with the stat identity it had when it was read,
// so that an unchanged file costs one stat and no read on the next scan (what git's index does
// for `git status`). The entries live in the metadata DB (the "stat_cache" sub-database of
// cache/metadata_db.h), keyed by the context directory's canonical path, so every buildtool
// process on the root shares them and a crash leaves the last saved state. It is only a
// cache: a damaged entry makes the context start over empty, never fails a build. Lookup()
// and Insert() may be called from several threads at once (one scan's threads); everything
// else, moves included, needs the StatCache to itself.
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

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cache/concurrent_entry_map.h"
#include "cache/metadata_db.h"
#include "cache/metadata_records.h"
#include "cache/path_table.h"
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

  // The number of paths with an entry.
  size_t size() const;
  // Whether no path has an entry, without counting (a scan asks before it starts). May say
  // false when every checksum inserted since Load()/Save() was then dropped as racy.
  bool empty() const { return entries_.empty() && !fresh_->used(); }
  // The canonical absolute path of the context directory.
  const std::string& dir() const { return dir_; }
  // The DB key of a context directory's stat cache: XXH3-128 of its canonical path.
  static ContextKey KeyFor(std::string_view canonical_dir);

 private:
  StatCache(MetadataDb* db, std::string dir, StatCacheOptions options);
  // Starts a new generation: the coarse clock now, minus the margin.
  void Restamp();
  // Replaces the entries (and their index), none of them live.
  void Reset(std::vector<StatCacheEntry> entries);

  MetadataDb* db_;
  std::string dir_;
  ContextKey key_{};
  StatCacheOptions options_;
  std::int64_t trusted_before_ns_ = 0;  // entries stamped at or after this are racy
  std::optional<Timestamp> head_last_used_;  // of the stored head; nullopt when none
  bool start_over_ = false;  // the stored entries were damaged: delete them all at Save()
  // The entries as loaded or last saved, in path order, and an index of them: constant between
  // Load() or Save() and the next Save(), so lookups read them without a lock.
  std::vector<StatCacheEntry> entries_;
  PathTable index_;
  // live_[i]: entries_[i] was looked up since Load()/Save(), so Save() keeps it.
  std::unique_ptr<std::atomic<bool>[]> live_;
  // Checksums inserted since Load()/Save(): Save() writes them, replacing entries_ of the
  // same path. Behind a pointer so that a StatCache can move.
  std::unique_ptr<ConcurrentEntryMap> fresh_;
};

}  // namespace bt::cache
