#include "executor/runtime/seccomp_cache.h"

#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string_view>

#include "base/unique_fd.h"

namespace bt::executor::runtime {
namespace {

void Put(std::string* out, std::string_view s) {
  *out += std::to_string(s.size());
  *out += ':';
  out->append(s);
}
void Put(std::string* out, std::uint64_t v) { Put(out, std::to_string(v)); }

// Everything the compiled program depends on, as unambiguous text.
std::string KeyOf(const Seccomp& s) {
  std::string key = "bt-seccomp-cache v1\n";
  const scmp_version* v = seccomp_version();
  Put(&key, v != nullptr ? (std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                            std::to_string(v->micro))
                         : std::string("?"));
  struct utsname u;
  Put(&key, ::uname(&u) == 0 ? std::string_view(u.machine) : std::string_view("?"));
  Put(&key, static_cast<std::uint64_t>(s.default_action));
  Put(&key, s.default_errno_ret ? *s.default_errno_ret + 1ULL : 0ULL);
  Put(&key, s.architectures.size());
  for (const std::string& a : s.architectures) Put(&key, a);
  Put(&key, s.flags.size());
  for (const std::string& f : s.flags) Put(&key, f);
  Put(&key, s.syscalls.size());
  for (const SeccompRule& r : s.syscalls) {
    Put(&key, r.names.size());
    for (const std::string& n : r.names) Put(&key, n);
    Put(&key, static_cast<std::uint64_t>(r.action));
    Put(&key, r.errno_ret ? *r.errno_ret + 1ULL : 0ULL);
    Put(&key, r.args.size());
    for (const SeccompArg& a : r.args) {
      Put(&key, a.index);
      Put(&key, a.value);
      Put(&key, a.value_two);
      Put(&key, static_cast<std::uint64_t>(a.op));
    }
  }
  return key;
}

bool ReadAll(int fd, void* data, std::size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::read(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool WriteAll(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// File: u64 key size, key, u32 flags, u64 instruction count, instructions.
std::optional<SeccompProgram> Load(const std::string& path, const std::string& key) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return std::nullopt;
  std::uint64_t key_size = 0;
  if (!ReadAll(fd.get(), &key_size, sizeof key_size) || key_size != key.size()) return std::nullopt;
  std::string stored(key_size, '\0');
  if (!ReadAll(fd.get(), stored.data(), stored.size()) || stored != key) return std::nullopt;
  SeccompProgram program;
  std::uint32_t flags = 0;
  std::uint64_t count = 0;
  if (!ReadAll(fd.get(), &flags, sizeof flags) || !ReadAll(fd.get(), &count, sizeof count)) {
    return std::nullopt;
  }
  if (count == 0 || count > 65536) return std::nullopt;  // BPF_MAXINSNS is 4096
  program.flags = flags;
  program.instructions.resize(count);
  if (!ReadAll(fd.get(), program.instructions.data(), count * sizeof(sock_filter))) return std::nullopt;
  return program;
}

void Store(const std::string& dir, const std::string& path, const std::string& key,
           const SeccompProgram& program) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return;
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return;
  const std::uint64_t key_size = key.size();
  const std::uint32_t flags = program.flags;
  const std::uint64_t count = program.instructions.size();
  const bool ok = WriteAll(fd.get(), &key_size, sizeof key_size) && WriteAll(fd.get(), key.data(), key.size()) &&
                  WriteAll(fd.get(), &flags, sizeof flags) && WriteAll(fd.get(), &count, sizeof count) &&
                  WriteAll(fd.get(), program.instructions.data(), count * sizeof(sock_filter));
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) ::unlink(tmp.c_str());
}

}  // namespace

Result<SeccompProgram> CompileSeccompCached(const Seccomp& seccomp, const std::string& cache_dir) {
  if (cache_dir.empty()) return CompileSeccomp(seccomp);
  const std::string key = KeyOf(seccomp);
  char name[64];
  std::snprintf(name, sizeof name, "/seccomp-%016zx.bpf", std::hash<std::string>{}(key));
  const std::string dir = cache_dir + "/seccomp";
  const std::string path = dir + name;
  if (std::optional<SeccompProgram> cached = Load(path, key)) return *cached;
  BT_ASSIGN_OR_RETURN(SeccompProgram program, CompileSeccomp(seccomp));
  Store(dir, path, key, program);
  return program;
}

}  // namespace bt::executor::runtime
