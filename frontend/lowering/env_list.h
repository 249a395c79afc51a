// EnvList: an ordered list of NAME=value variables with BuildKit's llb.EnvList behaviour:
// setting a name again moves it to the end with its new value (llb.EnvList.Keys orders by
// the latest set), which is the order a RUN's process sees; names compare exactly, as on
// Linux. (The image config's Env replaces in place instead: see image_config_builder.)
// It is the environment of a build stage, the global ARG scope, and what ${VAR} expansion
// reads. Plain value; not thread-safe for writes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "frontend/shell/shell_lexer.h"

namespace bt::frontend {

class EnvList : public ShellEnv {
 public:
  using Entry = std::pair<std::string, std::string>;

  EnvList() = default;
  explicit EnvList(std::vector<Entry> entries);

  std::optional<std::string_view> Lookup(std::string_view name) const override;
  bool Contains(std::string_view name) const { return Lookup(name).has_value(); }
  // Removes any earlier `name` and appends name=value.
  void Set(std::string_view name, std::string_view value);
  void Remove(std::string_view name);

  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
};

}  // namespace bt::frontend
