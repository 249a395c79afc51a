#include "frontend/lowering/chown_spec.h"

#include <string>

namespace bt::frontend {
namespace {

ir::UserSpec ToUserSpec(std::string_view s) {
  std::uint64_t id = 0;
  bool numeric = !s.empty() && s.size() <= 10;
  for (char ch : s) {
    if (ch < '0' || ch > '9') numeric = false;
    id = id * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  if (numeric && id <= 0xFFFFFFFFu) return static_cast<std::uint32_t>(id);
  return std::string(s);
}

}  // namespace

std::optional<ir::Chown> ParseChown(std::string_view spec) {
  if (spec.empty()) return std::nullopt;
  ir::Chown c;
  const std::size_t colon = spec.find(':');
  c.user = ToUserSpec(spec.substr(0, colon));
  if (colon != std::string_view::npos) c.group = ToUserSpec(spec.substr(colon + 1));
  return c;
}

}  // namespace bt::frontend
