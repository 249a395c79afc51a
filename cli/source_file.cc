#include "cli/source_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/unique_fd.h"

namespace bt::cli {

Result<std::string> ReadSourceFile(const std::string& path) {
  const bool is_stdin = path == "-";
  UniqueFd owned;
  if (!is_stdin) owned.Reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  const int fd = is_stdin ? STDIN_FILENO : owned.get();
  if (fd < 0) {
    Error e = ErrnoError("open", path, errno);
    if (e.sys_errno == ENOENT) e.code = ErrorCode::kNotFound;
    return e;
  }
  std::string data;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read", is_stdin ? "<stdin>" : path, errno);
    if (n == 0) return data;
    data.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace bt::cli
