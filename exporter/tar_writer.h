// TarWriter: a tar stream in the layout Go's archive/tar writes with Format PAX, which is how
// containerd (and so BuildKit) writes layers and how docker reads them: a ustar header block
// per entry, preceded by a PAX extended header ('x') only when a field does not fit ustar —
// a path or link target over 100 bytes or not ASCII, a uid/gid over 2097151, a size of 8 GiB
// or more, an mtime with nanoseconds or out of range — or when the entry has extended
// attributes (SCHILY.xattr.NAME records). Paths are never split into the ustar prefix field;
// numbers are zero-padded octal with a NUL, devmajor/devminor always written, records sorted
// by key. The archive ends with two zero blocks and is not padded to a record size.
//
// Written by hand rather than with libarchive: the bytes of a layer are its diffID, so every
// one of them is chosen here, and the writer feeds any sink (a file, a compressor, a hash)
// without a copy. Readers in the tests are independent: GNU tar and libarchive.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace bt::exporter {

// Where a TarWriter's bytes go, in order. A failed Write ends the stream.
class TarSink {
 public:
  virtual ~TarSink() = default;
  virtual Result<void> Write(std::string_view bytes) = 0;
};

// A sink writing to a file descriptor in 1 MiB writes; Flush() writes what is buffered (call
// it once the stream is finished).
class FdTarSink : public TarSink {
 public:
  explicit FdTarSink(int fd);
  Result<void> Write(std::string_view bytes) override;
  Result<void> Flush();

 private:
  Result<void> WriteAll(std::string_view bytes);
  int fd_;
  std::string buffer_;
};

enum class TarType : char {
  kRegular = '0',
  kHardLink = '1',
  kSymlink = '2',
  kCharDevice = '3',
  kBlockDevice = '4',
  kDirectory = '5',
  kFifo = '6',
};

struct TarEntry {
  std::string path;         // as stored: relative, '/'-separated; directories end with '/'
  TarType type = TarType::kRegular;
  std::uint32_t mode = 0;   // permission and setuid/setgid/sticky bits (07777)
  std::uint64_t uid = 0;
  std::uint64_t gid = 0;
  std::uint64_t size = 0;   // bytes of content that follow: regular files only
  std::int64_t mtime_sec = 0;
  std::uint32_t mtime_nsec = 0;  // non-zero costs a PAX record (callers usually truncate)
  std::string link_target;  // a symlink's target, or the path a hard link repeats
  std::uint32_t dev_major = 0;
  std::uint32_t dev_minor = 0;
  // Extended attributes, name -> value (binary), in the order given; names must be unique.
  std::vector<std::pair<std::string, std::string>> xattrs;
};

class TarWriter {
 public:
  explicit TarWriter(TarSink& sink) : sink_(sink) {}
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  // Starts an entry; a regular file's `size` bytes must follow through WriteData before the
  // next header. kInvalidArgument for an entry tar cannot represent (an empty path, a NUL in a
  // string, a device number over 2097151, a hard link or symlink without a target).
  Result<void> WriteHeader(const TarEntry& entry);
  // Content of the current regular file; more than its size is kInvalidArgument.
  Result<void> WriteData(std::string_view bytes);
  // Pads the last file and writes the end-of-archive blocks. kInvalidArgument when the last
  // file is short of its size.
  Result<void> Finish();

  // Bytes written to the sink so far.
  std::uint64_t bytes_written() const { return written_; }

 private:
  Result<void> Emit(std::string_view bytes);
  Result<void> PadEntry();

  TarSink& sink_;
  std::uint64_t remaining_ = 0;  // content bytes the current entry still expects
  std::uint64_t entry_size_ = 0;
  std::uint64_t written_ = 0;
  bool finished_ = false;
};

// The PAX extended header records of `entry` ("LEN KEY=VALUE\n" each, sorted by key), empty when
// the ustar header holds everything; exposed for the tests.
std::string PaxRecordsFor(const TarEntry& entry);

}  // namespace bt::exporter
