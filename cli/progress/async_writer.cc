#include "cli/progress/async_writer.h"

#include <utility>

namespace bt::cli {

AsyncWriter::AsyncWriter(std::FILE* out, std::size_t max_pending_bytes)
    : out_(out), max_pending_bytes_(max_pending_bytes), thread_([this] { Run(); }) {}

AsyncWriter::~AsyncWriter() { Close(); }

void AsyncWriter::Write(std::string text) {
  if (text.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return;
    if (pending_bytes_ + text.size() > max_pending_bytes_) {
      dropped_bytes_ += text.size();
    } else {
      pending_bytes_ += text.size();
      queue_.push_back(std::move(text));
    }
  }
  wake_.notify_one();
}

void AsyncWriter::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void AsyncWriter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    // The note about dropped text waits until nothing is pending: written any earlier, it
    // would sit behind the same stall that caused the drop.
    wake_.wait(lock, [this] {
      return closing_ || !queue_.empty() || (dropped_bytes_ != 0 && pending_bytes_ == 0);
    });
    std::string text;
    std::size_t queued_bytes = 0;
    if (!queue_.empty()) {
      for (const std::string& chunk : queue_) text += chunk;
      queued_bytes = text.size();
      queue_.clear();
    } else if (dropped_bytes_ != 0) {
      text = "\n[buildtool: " + std::to_string(dropped_bytes_) +
             " bytes of progress output dropped: the output was not read fast enough]\n";
      dropped_bytes_ = 0;
    } else {
      return;  // closing, and everything is written
    }
    lock.unlock();
    std::fwrite(text.data(), 1, text.size(), out_);
    std::fflush(out_);
    lock.lock();
    pending_bytes_ -= queued_bytes;
  }
}

}  // namespace bt::cli
