// Internal to cache/metadata_db.cc and cache/metadata_txn.cc: the LMDB environment, its
// sub-database handles, and the gate that keeps map growth away from open transactions.
// Only .cc files include this header, so <lmdb.h> stays out of the public ones.
#pragma once

#include <lmdb.h>

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.h"
#include "cache/metadata_db.h"

namespace bt::cache::internal {

struct MetadataDbState {
  ~MetadataDbState() {
    if (env != nullptr) mdb_env_close(env);
  }

  // Constant after Open.
  std::string root;
  std::string dir;  // <root>/db
  MetadataDbOptions options;
  MDB_env* env = nullptr;
  MDB_dbi meta = 0;
  MDB_dbi cache_records = 0;
  MDB_dbi snapshots = 0;
  MDB_dbi leases = 0;
  MDB_dbi stat_cache = 0;

  // mdb_env_set_mapsize may run only while this process has no transaction open, so every
  // transaction is counted from begin to end, and growth waits for the count to reach zero
  // while holding new transactions back.
  std::mutex mu;
  std::condition_variable cv;
  int open_txns = 0;            // guarded by mu
  bool resizing = false;        // guarded by mu
  bool grow_requested = false;  // guarded by mu; set when a write hit MDB_MAP_FULL

  // Waits out a resize, then counts one more open transaction.
  void EnterTxn() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this] { return !resizing; });
    ++open_txns;
  }
  void ExitTxn() {
    std::lock_guard<std::mutex> lock(mu);
    --open_txns;
    cv.notify_all();
  }
  void RequestGrow() {
    std::lock_guard<std::mutex> lock(mu);
    grow_requested = true;
  }
};

// An LMDB return code as an Error about `what`: positive codes are errno values (kIo);
// MDB_MAP_FULL is kUnavailable (grow and retry); MDB_CORRUPTED, MDB_INVALID, MDB_PAGE_NOTFOUND
// and MDB_VERSION_MISMATCH are kDataLoss; MDB_READERS_FULL is kUnavailable; the rest kInternal.
Error LmdbError(int rc, std::string_view op, std::string_view what);

}  // namespace bt::cache::internal
