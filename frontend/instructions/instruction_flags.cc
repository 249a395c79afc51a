#include "frontend/instructions/instruction_flags.h"

#include <string_view>

#include "frontend/instructions/suggest.h"
#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

Error FlagError(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace

InstructionFlags::Flag& InstructionFlags::Define(std::string name, Kind kind) {
  for (const Flag& f : flags_) {
    if (f.name() == name) {
      if (!setup_error_) setup_error_ = "Duplicate flag defined: " + name;
      return detached_.emplace_back(std::move(name), kind);
    }
  }
  return flags_.emplace_back(std::move(name), kind);
}

const InstructionFlags::Flag& InstructionFlags::AddBool(std::string name, bool default_value) {
  Flag& flag = Define(std::move(name), Kind::kBool);
  flag.value_ = default_value ? "true" : "false";
  return flag;
}

const InstructionFlags::Flag& InstructionFlags::AddString(std::string name,
                                                          std::string default_value) {
  Flag& flag = Define(std::move(name), Kind::kString);
  flag.value_ = std::move(default_value);
  return flag;
}

const InstructionFlags::Flag& InstructionFlags::AddStrings(std::string name) {
  return Define(std::move(name), Kind::kStrings);
}

Result<void> InstructionFlags::Parse() {
  if (setup_error_) return FlagError("error setting up flags: " + *setup_error_);

  for (const std::string& arg : args_) {
    // POSIX utility syntax guideline 10, as in bflag.go: `--` ends the options.
    if (arg == "--") return {};
    if (arg.rfind("--", 0) != 0) return FlagError("arg should start with -- : " + arg);

    const std::size_t eq = arg.find('=');
    const bool has_value = eq != std::string::npos;
    const std::string flag_name = arg.substr(0, eq);  // with its "--"
    const std::string value = has_value ? arg.substr(eq + 1) : std::string();
    const std::string name = flag_name.substr(2);

    Flag* flag = nullptr;
    for (Flag& f : flags_) {
      if (f.name() == name) flag = &f;
    }
    if (!flag) {
      std::vector<std::string> names;
      for (const Flag& f : flags_) names.push_back(f.name());
      return FlagError(
          WithSuggestion("unknown flag: " + flag_name, name, names, SuggestCase::kSensitive));
    }
    if (flag->used_ && flag->kind_ != Kind::kStrings) {
      return FlagError("duplicate flag specified: " + flag_name);
    }
    flag->used_ = true;

    switch (flag->kind_) {
      case Kind::kBool: {
        if (has_value && value.empty()) return FlagError("missing a value on flag: " + flag_name);
        const std::string lower = unicode::ToLower(value);
        if (lower == "true" || lower.empty()) {
          flag->value_ = "true";
        } else if (lower == "false") {
          flag->value_ = "false";
        } else {
          return FlagError("expecting boolean value for flag " + flag_name + ", not: " + value);
        }
        break;
      }
      case Kind::kString:
        if (!has_value) return FlagError("missing a value on flag: " + flag_name);
        flag->value_ = value;
        break;
      case Kind::kStrings:
        if (!has_value) return FlagError("missing a value on flag: " + flag_name);
        flag->values_.push_back(value);
        break;
    }
  }
  return {};
}

std::vector<std::string> InstructionFlags::Used() const {
  std::vector<std::string> used;
  for (const Flag& f : flags_) {
    if (f.used_) used.push_back(f.name());
  }
  return used;
}

}  // namespace bt::frontend
