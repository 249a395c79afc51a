#include "frontend/instructions/instructions.h"

#include <concepts>
#include <type_traits>
#include <utility>

namespace bt::frontend {
namespace {

Result<void> ExpandInPlace(std::string& word, const WordExpander& expand) {
  BT_ASSIGN_OR_RETURN(word, expand(word));
  return {};
}

Result<void> ExpandAll(std::vector<std::string>& words, const WordExpander& expand) {
  for (std::string& word : words) BT_TRY(ExpandInPlace(word, expand));
  return {};
}

// expandKvpsInPlace: the key, then the value, pair by pair.
Result<void> ExpandPairs(std::vector<KeyValue>& pairs, const WordExpander& expand) {
  for (KeyValue& kv : pairs) {
    BT_TRY(ExpandInPlace(kv.key, expand));
    BT_TRY(ExpandInPlace(kv.value, expand));
  }
  return {};
}

template <typename T>
concept HasExpand = requires(T t, const WordExpander& e) {
  { t.Expand(e) } -> std::same_as<Result<void>>;
};

template <typename T>
concept HasExpandRaw = requires(T t, const WordExpander& e) {
  { t.ExpandRaw(e) } -> std::same_as<Result<void>>;
};

}  // namespace

Result<void> SourcesAndDest::Expand(const WordExpander& expand) {
  BT_TRY(ExpandAll(source_paths, expand));
  return ExpandInPlace(dest_path, expand);
}

Result<void> SourcesAndDest::ExpandRaw(const WordExpander& expand) {
  for (SourceContent& content : source_contents) {
    if (content.expand) BT_TRY(ExpandInPlace(content.data, expand));
  }
  return {};
}

Result<void> RunCmd::Expand(const WordExpander& expand) {
  std::vector<RunMount> parsed;
  parsed.reserve(mount_specs.size());
  for (const std::string& spec : mount_specs) {
    BT_ASSIGN_OR_RETURN(RunMount mount, ParseRunMount(spec, expand));
    parsed.push_back(std::move(mount));
  }
  mounts = std::move(parsed);
  return {};
}

Result<void> AddCmd::Expand(const WordExpander& expand) {
  BT_TRY(ExpandInPlace(chown, expand));
  BT_TRY(ExpandInPlace(chmod, expand));
  BT_TRY(ExpandInPlace(checksum, expand));
  return files.Expand(expand);
}

Result<void> CopyCmd::Expand(const WordExpander& expand) {
  BT_TRY(ExpandInPlace(chown, expand));
  BT_TRY(ExpandInPlace(chmod, expand));
  return files.Expand(expand);
}

Result<void> CopyCmd::CheckFromNeedsNoExpansion(const WordExpander& expand_without_env) const {
  if (from.empty()) return {};
  BT_ASSIGN_OR_RETURN(const std::string expanded, expand_without_env(from));
  if (expanded != from) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "variable expansion is not supported for --from, define a new stage with "
                     "FROM using ARG from global scope as a workaround");
  }
  return {};
}

Result<void> VolumeCmd::Expand(const WordExpander& expand) { return ExpandAll(volumes, expand); }

Result<void> WorkdirCmd::Expand(const WordExpander& expand) { return ExpandInPlace(path, expand); }

Result<void> EnvCmd::Expand(const WordExpander& expand) { return ExpandPairs(env, expand); }

Result<void> LabelCmd::Expand(const WordExpander& expand) { return ExpandPairs(labels, expand); }

Result<void> ArgCmd::Expand(const WordExpander& expand) {
  for (ArgDefinition& arg : args) {
    BT_TRY(ExpandInPlace(arg.key, expand));
    if (arg.value) BT_TRY(ExpandInPlace(*arg.value, expand));
  }
  return {};
}

Result<void> ExposeCmd::ExpandWords(const WordsExpander& expand) {
  std::vector<std::string> expanded;
  for (const std::string& port : ports) {
    BT_ASSIGN_OR_RETURN(std::vector<std::string> words, expand(port));
    for (std::string& word : words) expanded.push_back(std::move(word));
  }
  ports = std::move(expanded);
  return {};
}

Result<void> UserCmd::Expand(const WordExpander& expand) { return ExpandInPlace(user, expand); }

Result<void> StopSignalCmd::Expand(const WordExpander& expand) {
  return ExpandInPlace(signal, expand);
}

const InstructionOrigin& OriginOf(const Instruction& instruction) {
  return std::visit([](const auto& cmd) -> const InstructionOrigin& { return cmd.origin; },
                    instruction);
}

Result<void> ExpandForDispatch(Instruction& instruction, const DispatchExpanders& expanders) {
  Result<void> result = std::visit(
      [&expanders](auto& cmd) -> Result<void> {
        using T = std::decay_t<decltype(cmd)>;
        // convert.go dispatch(): "ARG command value could be ignored, so defer handling the
        // expansion error" - ARG defaults are expanded by dispatchArg instead.
        if constexpr (HasExpand<T> && !std::is_same_v<T, ArgCmd>) {
          BT_TRY(cmd.Expand(expanders.word));
        }
        if constexpr (HasExpandRaw<T>) BT_TRY(cmd.ExpandRaw(expanders.raw));
        if constexpr (std::is_same_v<T, ExposeCmd>) BT_TRY(cmd.ExpandWords(expanders.words));
        return {};
      },
      instruction);
  if (!result && !result.error().where) {
    const InstructionOrigin& origin = OriginOf(instruction);
    result.error().where = SourceRange{"", origin.start_line, origin.end_line};
  }
  return result;
}

}  // namespace bt::frontend
