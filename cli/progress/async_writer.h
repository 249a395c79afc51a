// AsyncWriter: hands text to a FILE* from its own thread, so that a slow reader of stderr (a
// stalled CI log pipe, a terminal in scroll-lock) never stalls the solver threads that emit
// progress. Chunks are written whole and in the order Write was called, each followed by a
// flush so CI logs stream. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace bt::cli {

class AsyncWriter {
 public:
  // Pending text beyond this is dropped rather than buffered without bound.
  static constexpr std::size_t kDefaultMaxPendingBytes = 8 << 20;

  // `out` is not owned and must outlive the writer.
  explicit AsyncWriter(std::FILE* out, std::size_t max_pending_bytes = kDefaultMaxPendingBytes);
  ~AsyncWriter();  // Close()
  AsyncWriter(const AsyncWriter&) = delete;
  AsyncWriter& operator=(const AsyncWriter&) = delete;

  // Queues text without waiting for the output. When the output has fallen more than the
  // pending limit behind, the chunk is dropped and counted; once the backlog is written, one
  // line tells the reader how many bytes were lost.
  void Write(std::string text);

  // Writes everything queued, flushes and stops the thread. Idempotent; Write afterwards is
  // ignored.
  void Close();

 private:
  void Run();

  std::FILE* const out_;
  const std::size_t max_pending_bytes_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;     // guarded by mu_
  std::size_t pending_bytes_ = 0;     // guarded by mu_: bytes queued or being written
  std::uint64_t dropped_bytes_ = 0;   // guarded by mu_: dropped since the last notice
  bool closing_ = false;              // guarded by mu_
  std::thread thread_;                // started last, after every field it reads
};

}  // namespace bt::cli
