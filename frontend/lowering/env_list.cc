#include "frontend/lowering/env_list.h"

#include <algorithm>

namespace bt::frontend {

EnvList::EnvList(std::vector<Entry> entries) {
  for (auto& [name, value] : entries) Set(name, value);
}

std::optional<std::string_view> EnvList::Lookup(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.first == name) return std::string_view(e.second);
  }
  return std::nullopt;
}

void EnvList::Set(std::string_view name, std::string_view value) {
  std::string v(value);  // value may point into the entry that Remove erases
  Remove(name);
  entries_.emplace_back(std::string(name), std::move(v));
}

void EnvList::Remove(std::string_view name) {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) { return e.first == name; }),
                 entries_.end());
}

}  // namespace bt::frontend
