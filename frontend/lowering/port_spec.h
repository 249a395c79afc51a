// EXPOSE values as BuildKit reads them (dockerfile2llb/convert_expose.go parsePort):
// `[[ip:]host:]port[-end][/proto]` to the "port/proto" keys of the image config's
// ExposedPorts, one per port of a range. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bt::frontend {

// "80" -> {"80/tcp"}; "8000-8002/udp" -> three keys; protocols tcp, udp, sctp (any case,
// written lowercase). kInvalidArgument with BuildKit's words ("invalid containerPort: x").
Result<std::vector<std::string>> ParseExposedPort(std::string_view raw);

}  // namespace bt::frontend
