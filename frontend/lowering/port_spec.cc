#include "frontend/lowering/port_spec.h"

#include <charconv>

#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// parsePortNumber: decimal 0..65535.
bool ParsePortNumber(std::string_view s, int* out) {
  if (s.empty()) return false;
  if (s[0] == '+') s.remove_prefix(1);
  long long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0 || v > 65535) return false;
  *out = static_cast<int>(v);
  return true;
}

// parsePortRange: "8000" or "8000-9000".
bool ParsePortRange(std::string_view ports, int* start, int* end) {
  if (ports.empty()) return false;
  const std::size_t dash = ports.find('-');
  const std::string_view first = ports.substr(0, dash);
  if (!ParsePortNumber(first, start)) return false;
  if (dash == std::string_view::npos || first == ports.substr(dash + 1)) {
    *end = *start;
    return true;
  }
  if (!ParsePortNumber(ports.substr(dash + 1), end)) return false;
  return *end >= *start;
}

}  // namespace

Result<std::vector<std::string>> ParseExposedPort(std::string_view raw) {
  // splitParts: the container port is after the last ':' (IPv6 hosts are bracketed).
  std::string_view host_port, container = raw;
  const std::size_t colon = raw.rfind(':');
  if (colon != std::string_view::npos) {
    container = raw.substr(colon + 1);
    const std::string_view rest = raw.substr(0, colon);
    const std::size_t inner = rest.rfind(':');
    host_port = inner == std::string_view::npos ? rest : rest.substr(inner + 1);
  }
  const std::size_t slash = container.find('/');
  const std::string_view port = container.substr(0, slash);
  std::string proto = slash == std::string_view::npos
                          ? std::string()
                          : unicode::ToLower(container.substr(slash + 1));
  const std::string quoted = unicode::Quote(raw);
  if (port.empty()) return Invalid("invalid port: " + quoted + ": no port specified");
  if (proto.empty()) proto = "tcp";
  if (proto != "tcp" && proto != "udp" && proto != "sctp") {
    return Invalid("invalid port: " + quoted + ": invalid proto: " + proto);
  }
  int start = 0, end = 0;
  if (!ParsePortRange(port, &start, &end)) {
    return Invalid("invalid containerPort: " + std::string(port));
  }
  if (!host_port.empty()) {
    int hs = 0, he = 0;
    if (!ParsePortRange(host_port, &hs, &he)) {
      return Invalid("invalid hostPort: " + std::string(host_port));
    }
    if (end - start != he - hs && end != start) {
      return Invalid("invalid ranges specified for container and host Ports: " +
                     std::string(port) + " and " + std::string(host_port));
    }
  }
  std::vector<std::string> out;
  for (int p = start; p <= end; ++p) out.push_back(std::to_string(p) + "/" + proto);
  return out;
}

}  // namespace bt::frontend
