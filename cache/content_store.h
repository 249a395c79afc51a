// ContentStore: blobs addressed by their SHA-256 digest, and the ingests that write them.
// An IngestWriter hashes while it writes; Commit() verifies size and digest, fsyncs, makes
// the file read-only and renames it into place, so a blob under blobs/sha256/ always hashes
// to its name unless the disk itself was damaged afterwards (Verify finds that). The write
// protocol follows containerd's local content store (plugins/content/local/writer.go,
// store.go); unlike containerd, ref locks are flock(2) file locks, so several buildtool
// processes can share one cache root.
//
// On-disk layout under <root>/blobs/ (every directory 0700, created by Open):
//   sha256/<hex>       A committed blob; <hex> is its digest in 64 lowercase hex digits and
//                      the file is 0444. It appears only by an atomic rename (no-replace) of
//                      a complete, fsynced, verified file, and is never rewritten: a second
//                      writer of the same bytes finds it present and drops its own copy.
//                      Names that are not a valid digest are ignored by Walk.
//   ingest/<key>/      One ingest in progress. <key> is the hex SHA-256 of the caller's ref
//                      (as containerd does), so any ref text (a digest, a URL) becomes one
//                      safe path component. It is on the same filesystem as sha256/, which the
//                      final rename needs.
//   ingest/<key>/lock  flock(2)ed exclusively by the one IngestWriter of this ref; a process
//                      that dies (kill -9 included) releases it, and the ingest can be resumed.
//   ingest/<key>/ref   The ref text, written atomically when the ingest starts, so that a
//                      listing or GC can name an ingest without knowing its ref.
//   ingest/<key>/data  The bytes received so far (0600). A resumed ingest re-hashes them
//                      rather than trusting saved hash state: after a power loss the file may
//                      end in zeros or garbage, and the digest check at Commit catches that.
// Committing removes the ingest directory (data, ref, then lock last, then the directory).
//
// Thread-safety: a ContentStore is immutable after Open and may be shared by threads and
// processes. An IngestWriter belongs to one thread at a time; the ref lock makes a second
// writer of the same ref, in any thread or process, wait in BeginIngest.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/file_lock.h"
#include "base/result.h"
#include "base/unique_fd.h"
#include "oci/digest.h"

namespace bt::cache {

// Writes one blob. Obtained from ContentStore::BeginIngest; holds the ref lock until it is
// destroyed. Dropping it without Commit or Abort keeps the partial data for a later resume.
class IngestWriter {
 public:
  IngestWriter(IngestWriter&&) noexcept;
  IngestWriter& operator=(IngestWriter&&) noexcept;
  IngestWriter(const IngestWriter&) = delete;
  IngestWriter& operator=(const IngestWriter&) = delete;
  ~IngestWriter();

  const std::string& ref() const { return ref_; }
  // Bytes in the ingest so far: where a resumed download continues (an HTTP Range start).
  std::uint64_t offset() const { return offset_; }

  // Appends `data`. kIo on failure (ENOSPC included): the bytes written before the failure
  // stay and are counted in offset(). kFailedPrecondition after Commit or Abort.
  Result<void> Write(std::string_view data);
  // Verifies and publishes the blob; returns its digest. `expected_size` and
  // `expected_digest` are checked when given: a mismatch is kDataLoss and discards the
  // ingest, so nothing is committed and the next BeginIngest starts from zero. When the blob
  // already exists (another writer won the race) the existing file is kept, this ingest is
  // dropped, and the call succeeds: both writers had the same bytes. kIo on a failed
  // syscall: the partial data stays, and a new BeginIngest of the ref resumes it. The
  // writer is finished afterwards whatever the outcome.
  Result<oci::Digest> Commit(std::optional<std::uint64_t> expected_size,
                             std::optional<oci::Digest> expected_digest);
  // Discards the partial data and removes the ingest. The writer is finished afterwards.
  Result<void> Abort();

 private:
  friend class ContentStore;
  IngestWriter(std::string ref, std::string dir, std::string blob_dir, FileLock lock, UniqueFd data,
               std::uint64_t offset, std::unique_ptr<oci::Sha256Hasher> hasher);
  // Makes the verified data the blob `digest` (chmod, fsync, rename, fsync directory).
  Result<void> Publish(const oci::Digest& digest);
  // Removes data, ref and lock (last) and the directory; the lock is released later, when
  // the writer dies.
  Result<void> RemoveIngest();

  std::string ref_;
  std::string dir_;                            // <root>/blobs/ingest/<key>
  std::string blob_dir_;                       // <root>/blobs/sha256
  FileLock lock_;                              // held for the whole life of the writer
  UniqueFd data_;                              // <dir_>/data; invalid once committed or aborted
  std::uint64_t offset_ = 0;                   // == size of data_ == bytes fed to hasher_
  std::unique_ptr<oci::Sha256Hasher> hasher_;  // null once committed or aborted
};

class ContentStore {
 public:
  // Creates <root>/blobs/{sha256,ingest} when missing. `root` must exist. kIo on failure.
  static Result<ContentStore> Open(std::string root);

  // Starts the ingest named `ref`, or resumes it from its partial data (re-hashing it).
  // Blocks while another writer holds the same ref; once it returns, check Contains(): the
  // other writer may have committed the blob meanwhile. kInvalidArgument for an empty ref
  // or one longer than 4096 bytes; kIo on failure.
  Result<IngestWriter> BeginIngest(std::string_view ref) const;

  // True when the blob is present (as a regular file); says nothing about its integrity.
  bool Contains(const oci::Digest& digest) const;
  // A read-only descriptor on the blob. kNotFound when absent, kIo otherwise.
  Result<UniqueFd> Open(const oci::Digest& digest) const;
  // A small blob whole (a manifest, a config, an index): kNotFound when absent,
  // kInvalidArgument when it is larger than `max_bytes`, kIo on a read failure. Messages name
  // `what` and the digest.
  Result<std::string> ReadAll(const oci::Digest& digest, std::size_t max_bytes,
                              std::string_view what) const;
  // Stores small `bytes` held in memory (a manifest, a config) as a blob, unless it is there;
  // its digest (returned) is computed here. Errors as Commit's.
  Result<oci::Digest> Put(std::string_view bytes) const;
  // The blob's size in bytes. kNotFound when absent, kDataLoss when not a regular file.
  Result<std::uint64_t> Size(const oci::Digest& digest) const;
  // Removes the blob. kNotFound when absent. Callers hold whatever lock keeps readers safe
  // (GC); an already open descriptor stays readable.
  Result<void> Delete(const oci::Digest& digest);
  // Every committed blob, sorted. Entries whose name is not a digest are skipped.
  Result<std::vector<oci::Digest>> Walk() const;
  // Re-hashes the blob. kDataLoss when its bytes no longer match its name, kNotFound when
  // absent, kIo on a read failure.
  Result<void> Verify(const oci::Digest& digest) const;

  // Removes every ingest no writer holds (its writer died or was dropped without Abort),
  // losing its partial data; returns how many. For prune: a live writer is never touched.
  Result<std::size_t> RemoveAbandonedIngests();

  // <root>/blobs/sha256/<hex>, for callers that hard-link or copy a blob elsewhere.
  std::string BlobPath(const oci::Digest& digest) const;

 private:
  explicit ContentStore(std::string root);

  std::string blob_dir_;    // <root>/blobs/sha256
  std::string ingest_dir_;  // <root>/blobs/ingest
};

}  // namespace bt::cache
