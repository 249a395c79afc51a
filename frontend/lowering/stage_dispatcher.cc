#include "frontend/lowering/stage_dispatcher.h"

#include <cctype>
#include <cstdlib>

#include "frontend/lowering/go_format.h"
#include "frontend/lowering/port_spec.h"
#include "frontend/lowering/signal_name.h"

namespace bt::frontend {
namespace {

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// KeyValuePair.String(): key=value, as written after expansion.
std::string JoinPairs(std::string_view keyword, const std::vector<KeyValue>& pairs) {
  std::string out(keyword);
  for (const KeyValue& kv : pairs) out += " " + kv.key + "=" + kv.value;
  return out;
}

}  // namespace

oci::ImageConfig EmptyImage(const oci::Platform& platform) {
  oci::ImageConfig img;
  img.platform = platform;
  img.config.working_dir = "/";
  img.config.env.emplace_back("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  return img;
}

void SetConfigEnv(oci::ContainerConfig& config, const std::string& name, const std::string& value) {
  for (auto& [k, v] : config.env) {
    if (k == name) {
      v = value;
      return;
    }
  }
  config.env.emplace_back(name, value);
}

void AddHistory(oci::ImageConfig& image, std::string created_by, HistoryLayer layer) {
  oci::HistoryEntry h;
  h.created_by = std::move(created_by);
  h.comment = "buildkit.dockerfile.v0";
  h.empty_layer = layer == HistoryLayer::kEmpty;
  image.history.push_back(std::move(h));
}

std::vector<std::string> WithShell(const oci::ImageConfig& image,
                                   const std::vector<std::string>& args) {
  std::vector<std::string> out = image.config.shell;
  if (out.empty()) out = {"/bin/sh", "-c"};  // defaultShell for Linux
  std::string joined;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i > 0) joined += ' ';
    joined += args[i];
  }
  out.push_back(std::move(joined));
  return out;
}

StageDispatcher::StageDispatcher(const LowerOptions& options, const BuildPlan& plan,
                                 ShellLexer lexer)
    : options_(options), plan_(plan), lexer_(std::move(lexer)) {}

Result<void> StageDispatcher::Dispatch(std::size_t index, Instruction instruction,
                                       std::vector<StageState>& stages) {
  StageState& s = stages[index];
  current_stage_ = index;  // also for the ONBUILD triggers and lowering helpers
  step_name_.reset();      // StepName numbers this instruction afresh
  // dispatch(): every instruction but ARG is expanded against the stage's environment.
  if (!std::holds_alternative<ArgCmd>(instruction)) {
    ShellLexOptions raw_options;
    raw_options.skip_process_quotes = true;
    const ShellLexer raw_lexer(raw_options);
    DispatchExpanders expanders;
    expanders.word = [&](std::string_view w) -> Result<std::string> {
      BT_ASSIGN_OR_RETURN(ExpandedWord e, lexer_.ProcessWord(w, s.env));
      return std::move(e.word);
    };
    expanders.raw = [&](std::string_view w) -> Result<std::string> {
      BT_ASSIGN_OR_RETURN(ExpandedWord e, raw_lexer.ProcessWord(w, s.env));
      return std::move(e.word);
    };
    expanders.words = [&](std::string_view w) { return lexer_.ProcessWords(w, s.env); };
    BT_TRY(ExpandForDispatch(instruction, expanders));
  }
  return std::visit(
      [&](auto& c) -> Result<void> {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, EnvCmd>) return DispatchEnv(s, c);
        if constexpr (std::is_same_v<T, LabelCmd>) return DispatchLabel(s, c);
        if constexpr (std::is_same_v<T, CmdCmd>) return DispatchCmd(s, c);
        if constexpr (std::is_same_v<T, EntrypointCmd>) return DispatchEntrypoint(s, c);
        if constexpr (std::is_same_v<T, HealthcheckCmd>) return DispatchHealthcheck(s, c);
        if constexpr (std::is_same_v<T, ExposeCmd>) return DispatchExpose(s, c);
        if constexpr (std::is_same_v<T, UserCmd>) return DispatchUser(s, c);
        if constexpr (std::is_same_v<T, VolumeCmd>) return DispatchVolume(s, c);
        if constexpr (std::is_same_v<T, StopSignalCmd>) return DispatchStopSignal(s, c);
        if constexpr (std::is_same_v<T, ShellCmd>) return DispatchShell(s, c);
        if constexpr (std::is_same_v<T, ArgCmd>) return DispatchArg(s, c);
        if constexpr (std::is_same_v<T, MaintainerCmd>) return DispatchMaintainer(s, c);
        if constexpr (std::is_same_v<T, OnbuildCmd>) return DispatchOnbuild(s, c);
        if constexpr (std::is_same_v<T, WorkdirCmd>) return DispatchWorkdir(index, s, c);
        if constexpr (std::is_same_v<T, RunCmd>) return DispatchRun(index, s, c, stages);
        if constexpr (std::is_same_v<T, CopyCmd>) return DispatchCopy(index, s, c, stages);
        if constexpr (std::is_same_v<T, AddCmd>) return DispatchAdd(index, s, c);
        if constexpr (std::is_same_v<T, FromCmd>) {
          return MakeError(ErrorCode::kInternal, "FROM inside a stage");
        }
        return {};
      },
      instruction);
}

Result<void> StageDispatcher::DispatchEnv(StageState& s, const EnvCmd& c) {
  for (const KeyValue& kv : c.env) {
    s.env.Set(kv.key, kv.value);
    SetConfigEnv(s.image.config, kv.key, kv.value);
  }
  AddHistory(s.image, JoinPairs("ENV", c.env), HistoryLayer::kEmpty);
  return {};
}

Result<void> StageDispatcher::DispatchLabel(StageState& s, const LabelCmd& c) {
  for (const KeyValue& kv : c.labels) s.image.config.labels[kv.key] = kv.value;
  AddHistory(s.image, JoinPairs("LABEL", c.labels), HistoryLayer::kEmpty);
  return {};
}

Result<void> StageDispatcher::DispatchCmd(StageState& s, const CmdCmd& c) {
  std::vector<std::string> args = c.command.cmd_line;
  if (c.command.prepend_shell) args = WithShell(s.image, args);
  s.image.config.cmd = args;
  s.image.config.args_escaped = true;  // dispatchCmd sets it for Docker's image spec
  s.cmd_set = true;
  AddHistory(s.image, "CMD " + GoQuotedList(args), HistoryLayer::kEmpty);
  return {};
}

Result<void> StageDispatcher::DispatchEntrypoint(StageState& s, const EntrypointCmd& c) {
  std::vector<std::string> args = c.command.cmd_line;
  if (c.command.prepend_shell) args = WithShell(s.image, args);
  s.image.config.entrypoint = args;
  // An ENTRYPOINT resets a CMD inherited from the base, not one set in this stage.
  if (!s.cmd_set) s.image.config.cmd.reset();
  AddHistory(s.image, "ENTRYPOINT " + GoQuotedList(args), HistoryLayer::kEmpty);
  return {};
}

Result<void> StageDispatcher::DispatchHealthcheck(StageState& s, const HealthcheckCmd& c) {
  oci::HealthConfig h;
  h.test = c.test;
  h.interval_ns = c.interval.count();
  h.timeout_ns = c.timeout.count();
  h.start_period_ns = c.start_period.count();
  h.start_interval_ns = c.start_interval.count();
  h.retries = c.retries;
  s.image.config.healthcheck = h;
  // fmt's %+v of dockerspec.HealthcheckConfig.
  AddHistory(s.image,
             "HEALTHCHECK {Test:" + GoPlainList(h.test) + " Interval:" + GoDuration(c.interval) +
                 " Timeout:" + GoDuration(c.timeout) + " StartPeriod:" +
                 GoDuration(c.start_period) + " StartInterval:" + GoDuration(c.start_interval) +
                 " Retries:" + std::to_string(c.retries) + "}",
             HistoryLayer::kEmpty);
  return {};
}

Result<void> StageDispatcher::DispatchExpose(StageState& s, const ExposeCmd& c) {
  std::vector<std::string> exposed;
  for (const std::string& port : c.ports) {
    BT_ASSIGN_OR_RETURN(std::vector<std::string> specs, ParseExposedPort(port));
    for (std::string& spec : specs) {
      s.image.config.exposed_ports.insert(spec);
      exposed.push_back(std::move(spec));
    }
  }
  AddHistory(s.image, "EXPOSE " + GoPlainList(exposed), HistoryLayer::kEmpty);
  return {};
}

Result<void> StageDispatcher::DispatchUser(StageState& s, const UserCmd& c) {
  s.user = c.user;
  s.image.config.user = c.user;
  AddHistory(s.image, "USER " + c.user, HistoryLayer::kEmpty);
  return {};
}

Result<void> StageDispatcher::DispatchVolume(StageState& s, const VolumeCmd& c) {
  for (const std::string& v : c.volumes) {
    if (v.empty()) return Invalid("VOLUME specified can not be an empty string");
    s.image.config.volumes.insert(v);
  }
  AddHistory(s.image, "VOLUME " + GoPlainList(c.volumes), HistoryLayer::kEmpty);
  return {};
}

Result<void> StageDispatcher::DispatchStopSignal(StageState& s, const StopSignalCmd& c) {
  BT_TRY(CheckSignal(c.signal));
  s.image.config.stop_signal = c.signal;
  AddHistory(s.image, "STOPSIGNAL " + c.signal, HistoryLayer::kEmpty);
  return {};
}

Result<void> StageDispatcher::DispatchShell(StageState& s, const ShellCmd& c) {
  s.image.config.shell = c.shell;
  AddHistory(s.image, "SHELL " + GoPlainList(c.shell), HistoryLayer::kEmpty);
  return {};
}

Result<void> StageDispatcher::DispatchArg(StageState& s, const ArgCmd& c) {
  std::string history = "ARG";
  for (ArgDefinition arg : c.args) {
    std::optional<std::string> build_value;
    for (const auto& [name, value] : options_.build_args) {
      if (name == arg.key) build_value = value;
    }
    const bool has_default = arg.value.has_value();
    if (!has_default && !build_value) {
      // An ARG without default inherits the global scope's value (meta ARG or platform ARG).
      if (const auto global = plan_.global_args.Lookup(arg.key)) arg.value = std::string(*global);
    }
    if (build_value) {
      arg.value = build_value;
    } else if (has_default) {
      BT_ASSIGN_OR_RETURN(ExpandedWord e, lexer_.ProcessWord(*arg.value, s.env));
      arg.value = std::move(e.word);
    }
    if (arg.value) s.env.Set(arg.key, *arg.value);
    history += " " + arg.key;
    if (arg.value) history += "=" + *arg.value;
    s.build_args.push_back(std::move(arg));
  }
  AddHistory(s.image, std::move(history), HistoryLayer::kEmpty);
  return {};
}

Result<void> StageDispatcher::DispatchMaintainer(StageState& s, const MaintainerCmd& c) {
  s.image.author = c.maintainer;
  AddHistory(s.image, "MAINTAINER " + c.maintainer, HistoryLayer::kEmpty);
  return {};
}

Result<void> StageDispatcher::DispatchOnbuild(StageState& s, const OnbuildCmd& c) {
  s.image.config.on_build.push_back(c.expression);
  return {};
}

}  // namespace bt::frontend
