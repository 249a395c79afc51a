// AtomicFile: replaces a file so that readers, and a crash at any instant, see either the
// old content or the complete new content, never a mix. Writes go to a temp file in the
// target's directory (`.<name>.tmp-XXXXXX`); Commit() fsyncs it, renames it over the target
// and fsyncs the directory (LevelDB SetCurrentFile, containerd writer.Commit). Without a
// successful Commit() the destructor unlinks the temp file; a temp file left by a killed
// process is garbage for the next GC (its name starts with '.' and contains ".tmp-").
// Move-only; one thread at a time.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"

namespace bt {

class AtomicFile {
 public:
  // Creates the temp file next to `path` with exactly `mode` (the umask is not applied, so
  // the mode is the same whoever runs us). kIo when the directory is missing or unwritable.
  static Result<AtomicFile> Create(std::string path, mode_t mode);

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();  // unlinks the temp file unless Commit() renamed it

  // Appends all of `data` (retrying short writes and EINTR). kIo on failure (ENOSPC
  // included); kFailedPrecondition after Commit().
  Result<void> Write(std::string_view data);
  // The temp file's descriptor, for writers that stream into an fd themselves (a tar
  // writer); the same rules as Write() apply: only before Commit().
  int fd() const { return fd_.get(); }
  // fsync, rename over the target, fsync the directory. kIo on failure: if the rename has
  // not happened the target is untouched. kFailedPrecondition when called twice.
  Result<void> Commit();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  AtomicFile(std::string path, std::string temp_path, UniqueFd fd, UniqueFd dir_fd);
  void Discard();

  std::string path_;       // the target
  std::string temp_path_;  // empty once committed or discarded
  UniqueFd fd_;            // the temp file, open for writing until Commit()
  UniqueFd dir_fd_;        // the target's directory, for the rename and its fsync
};

}  // namespace bt
