// The `--name[=value]` words written before an instruction's arguments, checked against the
// flags that instruction defines: BuildKit's BFlags (frontend/dockerfile/instructions/
// bflag.go). A builder defines each flag with Add*, calls Parse once, then reads the values.
// An InstructionFlags owns its Flags; references returned by Add* stay valid for its whole
// life (it is neither copied nor moved). One thread at a time.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace bt::frontend {

class InstructionFlags {
 public:
  enum class Kind {
    kBool,     // `--name`, `--name=true|false` (any case)
    kString,   // `--name=value`; given twice is an error
    kStrings,  // `--name=value`, repeatable; every value kept in order
  };

  class Flag {
   public:
    Flag(std::string name, Kind kind) : name_(std::move(name)), kind_(kind) {}

    const std::string& name() const { return name_; }  // without the leading "--"
    Kind kind() const { return kind_; }
    bool is_used() const { return used_; }
    // The value of a kString flag (its default when unused), or "true"/"false" for kBool.
    const std::string& value() const { return value_; }
    bool is_true() const { return value_ == "true"; }
    // The values of a kStrings flag, in the order written.
    const std::vector<std::string>& values() const { return values_; }

   private:
    friend class InstructionFlags;
    std::string name_;
    Kind kind_;
    bool used_ = false;
    std::string value_;
    std::vector<std::string> values_;
  };

  // `args` are the flag words as the parser stored them (Node::flags).
  explicit InstructionFlags(std::vector<std::string> args) : args_(std::move(args)) {}
  InstructionFlags(const InstructionFlags&) = delete;
  InstructionFlags& operator=(const InstructionFlags&) = delete;

  // Defining the same name twice is reported by Parse ("Duplicate flag defined"), as BuildKit
  // does; the second definition is then a detached Flag that never changes.
  const Flag& AddBool(std::string name, bool default_value = false);
  const Flag& AddString(std::string name, std::string default_value = "");
  const Flag& AddStrings(std::string name);

  // Reads every argument into the defined flags. kInvalidArgument (no location) with
  // BuildKit's words: `unknown flag: --name` (with a "did you mean" hint), `duplicate flag
  // specified: --name`, `missing a value on flag: --name`, `expecting boolean value for flag
  // --name, not: yes`, `arg should start with -- : x`. A `--` word ends the flags.
  Result<void> Parse();

  // The names of the flags that were given, in definition order (BuildKit returns them in
  // Go map order).
  std::vector<std::string> Used() const;

 private:
  Flag& Define(std::string name, Kind kind);

  std::vector<std::string> args_;
  std::deque<Flag> flags_;     // deque: Add* hands out references that must stay valid
  std::deque<Flag> detached_;  // redefinitions, kept only so their references are valid
  std::optional<std::string> setup_error_;
};

}  // namespace bt::frontend
