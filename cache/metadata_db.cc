#include "cache/metadata_db.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "cache/metadata_db_state.h"

namespace bt::cache {
namespace internal {

Error LmdbError(int rc, std::string_view op, std::string_view what) {
  if (rc > 0) return ErrnoError(op, what, rc);
  ErrorCode code = ErrorCode::kInternal;
  switch (rc) {
    case MDB_MAP_FULL:
    case MDB_READERS_FULL:
      code = ErrorCode::kUnavailable;
      break;
    case MDB_CORRUPTED:
    case MDB_INVALID:
    case MDB_PAGE_NOTFOUND:
    case MDB_VERSION_MISMATCH:
      code = ErrorCode::kDataLoss;
      break;
    default:
      break;
  }
  std::string message(op);
  message.append(" ").append(what).append(": ").append(mdb_strerror(rc));
  return MakeError(code, std::move(message));
}

}  // namespace internal

namespace {

using internal::LmdbError;
using internal::MetadataDbState;

constexpr std::string_view kSchemaKey = "schema_version";
constexpr std::uint32_t kSchemaVersion = 1;
// How long map growth waits for this process's other transactions to end.
constexpr std::chrono::seconds kGrowWait{60};
// Attempts at beginning a transaction while other processes keep growing the map, and at
// running an Update whose writes keep filling it (each failure doubles the map).
constexpr int kMaxBeginAttempts = 8;
constexpr int kMaxUpdateAttempts = 40;

Result<void> MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoError("mkdir", path, errno);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoError("stat", path, errno);
  if (!S_ISDIR(st.st_mode)) return ErrnoError("open", path, ENOTDIR);
  return {};
}

std::size_t RoundUpToPage(std::size_t size) {
  const long page = ::sysconf(_SC_PAGESIZE);
  const std::size_t p = page > 0 ? static_cast<std::size_t>(page) : 4096;
  return (size + p - 1) / p * p;
}

// Runs `fn` once no transaction of this process is open, holding new ones back meanwhile.
template <typename Fn>
Result<void> WithNoOpenTxns(MetadataDbState& state, Fn fn) {
  std::unique_lock<std::mutex> lock(state.mu);
  if (!state.cv.wait_for(lock, kGrowWait, [&] { return !state.resizing; })) {
    return MakeError(ErrorCode::kUnavailable, "resize metadata DB map: another resize is stuck");
  }
  state.resizing = true;
  const bool idle = state.cv.wait_for(lock, kGrowWait, [&] { return state.open_txns == 0; });
  Result<void> result =
      idle ? fn()
           : Result<void>(MakeError(ErrorCode::kUnavailable,
                                    "resize metadata DB map " + state.dir +
                                        ": transactions of this process stay open"));
  state.resizing = false;
  state.cv.notify_all();
  return result;
}

// Opens the sub-databases and checks or writes the schema version, in one write transaction.
Result<void> InitSchema(MetadataDbState& state) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(state.env, nullptr, 0, &txn);
  for (int i = 0; rc == MDB_MAP_RESIZED && i < kMaxBeginAttempts; ++i) {
    rc = mdb_env_set_mapsize(state.env, 0);
    if (rc == 0) rc = mdb_txn_begin(state.env, nullptr, 0, &txn);
  }
  if (rc != 0) return LmdbError(rc, "begin write transaction in", state.dir);
  struct Named {
    const char* name;
    MDB_dbi* dbi;
  };
  const Named named[] = {{"meta", &state.meta},
                         {"cache_records", &state.cache_records},
                         {"snapshots", &state.snapshots},
                         {"leases", &state.leases},
                         {"stat_cache", &state.stat_cache}};
  for (const Named& n : named) {
    rc = mdb_dbi_open(txn, n.name, MDB_CREATE, n.dbi);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return LmdbError(rc, "open sub-database", state.dir + " " + n.name);
    }
  }
  MDB_val key{kSchemaKey.size(), const_cast<char*>(kSchemaKey.data())};
  MDB_val value;
  rc = mdb_get(txn, state.meta, &key, &value);
  if (rc == MDB_NOTFOUND) {
    unsigned char bytes[4];
    for (int i = 0; i < 4; ++i) bytes[i] = static_cast<unsigned char>(kSchemaVersion >> (8 * i));
    MDB_val out{sizeof bytes, bytes};
    rc = mdb_put(txn, state.meta, &key, &out, 0);
  } else if (rc == 0) {
    if (value.mv_size != 4) {
      mdb_txn_abort(txn);
      return MakeError(ErrorCode::kDataLoss,
                       "metadata DB " + state.dir + ": corrupt schema version");
    }
    const auto* b = static_cast<const unsigned char*>(value.mv_data);
    const std::uint32_t version = b[0] | (b[1] << 8) | (b[2] << 16) | (std::uint32_t{b[3]} << 24);
    if (version != kSchemaVersion) {
      mdb_txn_abort(txn);
      return MakeError(version > kSchemaVersion ? ErrorCode::kFailedPrecondition
                                                : ErrorCode::kDataLoss,
                       "metadata DB " + state.dir + ": schema version " +
                           std::to_string(version) + ", this buildtool reads " +
                           std::to_string(kSchemaVersion));
    }
  }
  if (rc != 0) {
    mdb_txn_abort(txn);
    return LmdbError(rc, "initialize", state.dir);
  }
  rc = mdb_txn_commit(txn);
  if (rc != 0) return LmdbError(rc, "commit to", state.dir);
  return {};
}

}  // namespace

MetadataDb::MetadataDb(std::unique_ptr<internal::MetadataDbState> state)
    : state_(std::move(state)) {}
MetadataDb::MetadataDb(MetadataDb&&) noexcept = default;
MetadataDb& MetadataDb::operator=(MetadataDb&&) noexcept = default;
MetadataDb::~MetadataDb() = default;

Result<MetadataDb> MetadataDb::Open(const std::string& root, const MetadataDbOptions& options) {
  if (root.empty()) return MakeError(ErrorCode::kInvalidArgument, "open metadata DB: empty root");
  if (options.initial_map_size == 0 || options.max_map_size < options.initial_map_size) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "open metadata DB: map sizes must satisfy 0 < initial <= max");
  }
  auto state = std::make_unique<MetadataDbState>();
  state->root = root;
  state->dir = root + "/db";
  state->options = options;
  BT_TRY(MakeDir(root));
  BT_TRY(MakeDir(state->dir));

  int rc = mdb_env_create(&state->env);
  if (rc != 0) return LmdbError(rc, "create environment for", state->dir);
  rc = mdb_env_set_maxdbs(state->env, 5);
  if (rc == 0) rc = mdb_env_set_mapsize(state->env, RoundUpToPage(options.initial_map_size));
  if (rc != 0) return LmdbError(rc, "configure", state->dir);
  // MDB_NOTLS: a read transaction is tied to its object, not to the thread that began it, so
  // a ReadTxn may move between threads and a thread may hold several.
  rc = mdb_env_open(state->env, state->dir.c_str(), MDB_NOTLS | MDB_NOMETASYNC, 0600);
  if (rc != 0) return LmdbError(rc, "open metadata DB", state->dir);
  // Reader slots of processes that died inside a read transaction pin old pages; free them.
  int dead = 0;
  rc = mdb_reader_check(state->env, &dead);
  if (rc != 0) return LmdbError(rc, "check readers of", state->dir);
  BT_TRY(InitSchema(*state));
  return MetadataDb(std::move(state));
}

Result<void> MetadataDb::Sync() {
  const int rc = mdb_env_sync(state_->env, 1);
  if (rc != 0) return internal::LmdbError(rc, "sync", state_->dir);
  return {};
}

const std::string& MetadataDb::root() const { return state_->root; }

std::size_t MetadataDb::map_size() const {
  MDB_envinfo info;
  mdb_env_info(state_->env, &info);
  return info.me_mapsize;
}

Result<void> MetadataDb::AdoptMapSize() {
  return WithNoOpenTxns(*state_, [this]() -> Result<void> {
    const int rc = mdb_env_set_mapsize(state_->env, 0);
    if (rc != 0) return LmdbError(rc, "adopt map size of", state_->dir);
    return {};
  });
}

Result<void> MetadataDb::GrowIfRequested() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->grow_requested) return {};
  }
  return WithNoOpenTxns(*state_, [this]() -> Result<void> {
    if (!state_->grow_requested) return {};  // another thread grew it meanwhile
    state_->grow_requested = false;
    int dead = 0;
    mdb_reader_check(state_->env, &dead);
    MDB_envinfo info;
    mdb_env_info(state_->env, &info);
    const std::size_t current = info.me_mapsize;
    const std::size_t limit = RoundUpToPage(state_->options.max_map_size);
    if (current >= limit) {
      Error e = ErrnoError("grow metadata DB", state_->dir, ENOSPC);
      e.message += " (the map reached its maximum of " + std::to_string(limit) + " bytes)";
      return e;
    }
    const std::size_t next = current > limit / 2 ? limit : current * 2;
    const int rc = mdb_env_set_mapsize(state_->env, next);
    if (rc != 0) return LmdbError(rc, "grow map of", state_->dir);
    return {};
  });
}

Result<ReadTxn> MetadataDb::BeginRead() {
  for (int attempt = 0; attempt < kMaxBeginAttempts; ++attempt) {
    state_->EnterTxn();
    MDB_txn* txn = nullptr;
    const int rc = mdb_txn_begin(state_->env, nullptr, MDB_RDONLY, &txn);
    if (rc == 0) return ReadTxn(state_.get(), txn);
    state_->ExitTxn();
    if (rc != MDB_MAP_RESIZED) return LmdbError(rc, "begin read transaction in", state_->dir);
    BT_TRY(AdoptMapSize());
  }
  return MakeError(ErrorCode::kUnavailable,
                   "begin read transaction in " + state_->dir + ": the map keeps being resized");
}

Result<WriteTxn> MetadataDb::BeginWrite() {
  BT_TRY(GrowIfRequested());
  for (int attempt = 0; attempt < kMaxBeginAttempts; ++attempt) {
    state_->EnterTxn();
    MDB_txn* txn = nullptr;
    const int rc = mdb_txn_begin(state_->env, nullptr, 0, &txn);
    if (rc == 0) return WriteTxn(state_.get(), txn);
    state_->ExitTxn();
    if (rc != MDB_MAP_RESIZED) return LmdbError(rc, "begin write transaction in", state_->dir);
    BT_TRY(AdoptMapSize());
  }
  return MakeError(ErrorCode::kUnavailable,
                   "begin write transaction in " + state_->dir + ": the map keeps being resized");
}

Result<void> MetadataDb::Update(const std::function<Result<void>(WriteTxn&)>& fn) {
  for (int attempt = 0; attempt < kMaxUpdateAttempts; ++attempt) {
    BT_ASSIGN_OR_RETURN(WriteTxn txn, BeginWrite());
    Result<void> result = fn(txn);
    if (result.has_value()) result = txn.Commit();
    if (result.has_value()) return result;
    // Only a full map is worth another run (BeginWrite grows it first, unless another thread
    // has grown it meanwhile); `txn` aborts here, before the next BeginWrite.
    if (!txn.hit_map_full()) return result;
  }
  return MakeError(ErrorCode::kUnavailable,
                   "write to metadata DB " + state_->dir + ": the map keeps filling");
}

}  // namespace bt::cache
