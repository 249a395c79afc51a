// RUN, CMD, ENTRYPOINT, HEALTHCHECK and SHELL: the instructions that carry a command line
// (parse.go's parseRun, parseCmd, parseEntrypoint, parseHealthcheck, parseShell and the RUN
// flag hooks of commands_rundevice.go, commands_runmount.go, commands_runnetwork.go and
// commands_runsecurity.go).
#include <chrono>
#include <string>
#include <vector>

#include "frontend/instructions/duration.h"
#include "frontend/instructions/go_strconv.h"
#include "frontend/instructions/instruction_request.h"
#include "frontend/unicode.h"

namespace bt::frontend::internal {
namespace {

// parseShellDependentCommand. RUN heredocs become files; CMD and ENTRYPOINT never have any
// (the parser only reads heredocs for RUN, COPY and ADD).
ShellDependantCmdLine CommandLine(const InstructionRequest& req) {
  ShellDependantCmdLine cmd;
  for (const Heredoc& heredoc : req.heredocs) {
    cmd.files.push_back(ShellInlineFile{heredoc.name, heredoc.content, heredoc.chomp});
  }
  cmd.cmd_line = HandleJsonArgs(req.args, req.json_form);
  cmd.prepend_shell = !req.json_form;
  return cmd;
}

// parseOptInterval: empty and zero mean "not set"; anything else must be at least 1ms.
Result<std::chrono::nanoseconds> OptionalInterval(const InstructionFlags::Flag& flag) {
  if (flag.value().empty()) return std::chrono::nanoseconds(0);
  BT_ASSIGN_OR_RETURN(const std::chrono::nanoseconds d, ParseGoDuration(flag.value()));
  if (d == std::chrono::nanoseconds(0)) return d;
  if (d < std::chrono::milliseconds(1)) {
    // Go's %#v of the flag's name, which has no dashes.
    return InvalidInstruction("Interval " + unicode::Quote(flag.name()) +
                              " cannot be less than 1ms");
  }
  return d;
}

}  // namespace

Result<Instruction> BuildRun(InstructionRequest& req) {
  // The flags the pre-hooks define, in the order Go runs the hooks' init functions (by file
  // name: rundevice, runmount, runnetwork, runsecurity).
  const InstructionFlags::Flag& device_flag = req.flags.AddStrings("device");
  const InstructionFlags::Flag& mount_flag = req.flags.AddStrings("mount");
  const InstructionFlags::Flag& network_flag = req.flags.AddString("network", "default");
  const InstructionFlags::Flag& security_flag = req.flags.AddString("security", "sandbox");
  BT_TRY(req.flags.Parse());

  RunCmd run;
  run.origin = req.origin;
  run.flags_used = req.flags.Used();
  run.command = CommandLine(req);

  // The post-hooks, in the same order.
  for (const std::string& spec : device_flag.values()) {
    BT_ASSIGN_OR_RETURN(RunDevice device, ParseRunDevice(spec));
    run.devices.push_back(std::move(device));
  }
  for (const std::string& spec : mount_flag.values()) {
    BT_ASSIGN_OR_RETURN(RunMount mount, PreparseRunMount(spec));
    run.mount_specs.push_back(spec);
    run.mounts.push_back(std::move(mount));
  }
  BT_ASSIGN_OR_RETURN(run.network, ParseNetworkMode(network_flag.value()));
  BT_ASSIGN_OR_RETURN(run.security, ParseSecurityMode(security_flag.value()));
  return Instruction(std::move(run));
}

Result<Instruction> BuildCmd(InstructionRequest& req) {
  BT_TRY(req.flags.Parse());
  return Instruction(CmdCmd{req.origin, CommandLine(req)});
}

Result<Instruction> BuildEntrypoint(InstructionRequest& req) {
  BT_TRY(req.flags.Parse());
  return Instruction(EntrypointCmd{req.origin, CommandLine(req)});
}

Result<Instruction> BuildHealthcheck(InstructionRequest& req) {
  if (req.args.empty()) return AtLeastOneArgument("HEALTHCHECK");
  HealthcheckCmd health;
  health.origin = req.origin;

  // strings.ToUpper; the words that matter (NONE, CMD) are ASCII.
  std::string type = req.args[0];
  for (char& c : type) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  const std::vector<std::string> args(req.args.begin() + 1, req.args.end());
  if (type == "NONE") {
    // BuildKit neither defines nor parses flags here: `HEALTHCHECK --x NONE` is accepted.
    if (!args.empty()) return InvalidInstruction("HEALTHCHECK NONE takes no arguments");
    health.test = {type};
    return Instruction(std::move(health));
  }

  const InstructionFlags::Flag& interval = req.flags.AddString("interval");
  const InstructionFlags::Flag& timeout = req.flags.AddString("timeout");
  const InstructionFlags::Flag& start_period = req.flags.AddString("start-period");
  const InstructionFlags::Flag& start_interval = req.flags.AddString("start-interval");
  const InstructionFlags::Flag& retries = req.flags.AddString("retries");
  BT_TRY(req.flags.Parse());

  if (type != "CMD") {
    return InvalidInstruction("Unknown type " + unicode::Quote(type) + " in HEALTHCHECK (try CMD)");
  }
  std::vector<std::string> command = HandleJsonArgs(args, req.json_form);
  if (command.empty()) return InvalidInstruction("Missing command after HEALTHCHECK CMD");
  health.test.push_back(req.json_form ? "CMD" : "CMD-SHELL");
  health.test.insert(health.test.end(), command.begin(), command.end());

  BT_ASSIGN_OR_RETURN(health.interval, OptionalInterval(interval));
  BT_ASSIGN_OR_RETURN(health.timeout, OptionalInterval(timeout));
  BT_ASSIGN_OR_RETURN(health.start_period, OptionalInterval(start_period));
  BT_ASSIGN_OR_RETURN(health.start_interval, OptionalInterval(start_interval));
  if (!retries.value().empty()) {
    BT_ASSIGN_OR_RETURN(const std::int64_t n, ParseGoInt(retries.value(), 32));
    if (n < 0) {
      return InvalidInstruction("--retries cannot be negative (" + std::to_string(n) + ")");
    }
    health.retries = static_cast<int>(n);
  }
  return Instruction(std::move(health));
}

Result<Instruction> BuildShell(InstructionRequest& req) {
  BT_TRY(req.flags.Parse());
  std::vector<std::string> shell = HandleJsonArgs(req.args, req.json_form);
  if (shell.empty()) return AtLeastOneArgument("SHELL");
  // errors_unix.go errNotJSON.
  if (!req.json_form) return InvalidInstruction("SHELL requires the arguments to be in JSON form");
  return Instruction(ShellCmd{req.origin, std::move(shell)});
}

}  // namespace bt::frontend::internal
