#include "executor/runtime/seccomp_filter.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <memory>

#include "base/unique_fd.h"
#include "executor/runtime/json_fields.h"
#include "executor/runtime/syscalls.h"

namespace bt::executor::runtime {
namespace {

struct ContextDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

// errnoRet defaults to EPERM, as in runc and crun.
std::uint32_t ToAction(SeccompAction action, std::optional<std::uint32_t> errno_ret) {
  const std::uint16_t code = static_cast<std::uint16_t>(errno_ret.value_or(EPERM));
  switch (action) {
    case SeccompAction::kKillThread:
      return SCMP_ACT_KILL_THREAD;
    case SeccompAction::kKillProcess:
      return SCMP_ACT_KILL_PROCESS;
    case SeccompAction::kTrap:
      return SCMP_ACT_TRAP;
    case SeccompAction::kErrno:
      return SCMP_ACT_ERRNO(code);
    case SeccompAction::kTrace:
      return SCMP_ACT_TRACE(code);
    case SeccompAction::kAllow:
      return SCMP_ACT_ALLOW;
    case SeccompAction::kLog:
      return SCMP_ACT_LOG;
  }
  return SCMP_ACT_KILL_PROCESS;
}

scmp_compare ToCompare(SeccompOp op) {
  switch (op) {
    case SeccompOp::kNotEqual:
      return SCMP_CMP_NE;
    case SeccompOp::kLess:
      return SCMP_CMP_LT;
    case SeccompOp::kLessEqual:
      return SCMP_CMP_LE;
    case SeccompOp::kEqual:
      return SCMP_CMP_EQ;
    case SeccompOp::kGreaterEqual:
      return SCMP_CMP_GE;
    case SeccompOp::kGreater:
      return SCMP_CMP_GT;
    case SeccompOp::kMaskedEqual:
      return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

Error LibseccompError(std::string_view what, std::string_view field, int rc) {
  Error e = ErrnoError(what, field, -rc);
  e.code = ErrorCode::kInternal;
  return e;
}

Result<void> AddRule(void* ctx, const SeccompRule& rule, std::uint32_t default_action) {
  const std::uint32_t action = ToAction(rule.action, rule.errno_ret);
  // libseccomp refuses a rule whose action is the default one; it would change nothing.
  if (action == default_action) return {};
  std::vector<scmp_arg_cmp> conditions;
  std::array<int, 6> per_index = {};
  for (const SeccompArg& a : rule.args) {
    conditions.push_back(scmp_arg_cmp{a.index, ToCompare(a.op), a.value, a.value_two});
    ++per_index[a.index];
  }
  // As runc: conditions on distinct arguments are ANDed in one rule; two conditions on the
  // same argument can never both hold, so runc (and we) OR them, one rule each.
  const bool or_conditions =
      std::any_of(per_index.begin(), per_index.end(), [](int n) { return n > 1; });
  for (std::size_t i = 0; i < rule.names.size(); ++i) {
    const int nr = seccomp_syscall_resolve_name(rule.names[i].c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // unknown to this libseccomp: skipped, as runc
    const std::string field = ItemPath(rule.field + ".names", i);
    if (conditions.empty() || !or_conditions) {
      const int rc =
          seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(conditions.size()),
                                 conditions.empty() ? nullptr : conditions.data());
      if (rc < 0) return LibseccompError("add seccomp rule", field, rc);
      continue;
    }
    for (const scmp_arg_cmp& c : conditions) {
      const int rc = seccomp_rule_add_array(ctx, action, nr, 1, &c);
      if (rc < 0) return LibseccompError("add seccomp rule", field, rc);
    }
  }
  return {};
}

}  // namespace

Result<SeccompProgram> CompileSeccomp(const Seccomp& seccomp) {
  const std::uint32_t default_action = ToAction(seccomp.default_action, seccomp.default_errno_ret);
  Context ctx(seccomp_init(default_action));
  if (!ctx) return FieldError("linux.seccomp.defaultAction", "libseccomp refused the action");
  SeccompProgram program;
  for (std::size_t i = 0; i < seccomp.architectures.size(); ++i) {
    const std::string field = ItemPath("linux.seccomp.architectures", i);
    std::string name = seccomp.architectures[i];
    if (name.rfind("SCMP_ARCH_", 0) != 0) return FieldError(field, "must start with SCMP_ARCH_");
    name = name.substr(10);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::uint32_t arch = seccomp_arch_resolve_name(name.c_str());
    if (arch == 0) {
      return FieldError(field, "unknown architecture \"" + seccomp.architectures[i] + "\"");
    }
    const int rc = seccomp_arch_add(ctx.get(), arch);
    if (rc < 0 && rc != -EEXIST) return LibseccompError("add seccomp architecture", field, rc);
  }
  for (std::size_t i = 0; i < seccomp.flags.size(); ++i) {
    const std::string& flag = seccomp.flags[i];
    if (flag == "SECCOMP_FILTER_FLAG_TSYNC") {
      program.flags |= SECCOMP_FILTER_FLAG_TSYNC;
    } else if (flag == "SECCOMP_FILTER_FLAG_LOG") {
      program.flags |= SECCOMP_FILTER_FLAG_LOG;
    } else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
      program.flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    } else {
      return FieldError(ItemPath("linux.seccomp.flags", i),
                        "\"" + flag + "\" is unknown or not implemented by buildtool-runtime");
    }
  }
  // libseccomp's binary-tree layout for long profiles, as runc enables it above 32 rules
  // (libseccomp <= 2.5.4 misbehaves with it on empty rule sets).
  if (seccomp.syscalls.size() > 32) seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (const SeccompRule& rule : seccomp.syscalls) {
    BT_TRY(AddRule(ctx.get(), rule, default_action));
  }
  // seccomp_export_bpf writes to a file descriptor; a memfd holds any size without blocking.
  UniqueFd memfd(::memfd_create("seccomp-bpf", MFD_CLOEXEC));
  if (!memfd.valid()) return ErrnoError("memfd_create", "seccomp-bpf", errno);
  const int rc = seccomp_export_bpf(ctx.get(), memfd.get());
  if (rc < 0) return LibseccompError("export seccomp program", "linux.seccomp", rc);
  const off_t size = ::lseek(memfd.get(), 0, SEEK_END);
  if (size < 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
    return MakeError(ErrorCode::kInternal, "seccomp program has a partial instruction");
  }
  // The kernel's BPF_MAXINSNS; a longer program would only fail later, in the child.
  if (static_cast<std::size_t>(size) / sizeof(sock_filter) > BPF_MAXINSNS) {
    return FieldError("linux.seccomp", "the profile compiles to more than 4096 BPF instructions");
  }
  program.instructions.resize(static_cast<std::size_t>(size) / sizeof(sock_filter));
  if (::pread(memfd.get(), program.instructions.data(), static_cast<std::size_t>(size), 0) !=
      size) {
    return ErrnoError("read", "seccomp program", errno);
  }
  return program;
}

bool LoadSeccomp(const SeccompProgram& program, ChildFailure* failure) {
  sock_fprog prog = {};
  prog.len = static_cast<unsigned short>(program.instructions.size());
  prog.filter = const_cast<sock_filter*>(program.instructions.data());
  if (sys::SeccompSetFilter(program.flags, &prog) != 0) {
    return Fail(failure, "load the seccomp filter", "linux.seccomp", errno);
  }
  return true;
}

}  // namespace bt::executor::runtime
