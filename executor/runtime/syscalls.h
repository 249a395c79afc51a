// Raw system calls that glibc 2.36 does not wrap, for buildtool-runtime (STYLE.md 2.9: kernel
// constants and wrappers live next to the code that needs them, like crun's syscalls.h).
// Each returns what the kernel returns (-1 with errno set on failure). Thread-safe.
#pragma once

#include <linux/capability.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>

namespace bt::executor::runtime::sys {

inline int OpenAt2(int dirfd, const char* path, std::uint64_t flags, std::uint64_t resolve) {
  struct open_how how = {};
  how.flags = flags;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

inline int PivotRoot(const char* new_root, const char* put_old) {
  return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
}

// clone(2) without a new stack: returns twice like fork(), 0 in the child. `flags` holds the
// CLONE_NEW* bits; SIGCHLD is added so the parent can wait for the child as usual.
inline long CloneLikeFork(unsigned long flags) {
  return ::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, 0);
}

inline int CapGet(cap_user_header_t header, cap_user_data_t data) {
  return static_cast<int>(::syscall(SYS_capget, header, data));
}

inline int CapSet(cap_user_header_t header, const cap_user_data_t data) {
  return static_cast<int>(::syscall(SYS_capset, header, data));
}

inline int SeccompSetFilter(unsigned int flags, const void* prog) {
  return static_cast<int>(::syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, flags, prog));
}

inline int CloseRange(unsigned int first, unsigned int last, unsigned int flags) {
  return static_cast<int>(::syscall(SYS_close_range, first, last, flags));
}

}  // namespace bt::executor::runtime::sys
