// RUN's `--device=vendor.com/class=name[,required]` values (CDI device requests), parsed as
// BuildKit's ParseDevice does (frontend/dockerfile/instructions/commands_rundevice.go).
// Devices are never variable-expanded. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace bt::frontend {

struct RunDevice {
  std::string name;       // a CDI name such as "vendor1.com/device=foo"
  bool required = false;  // fail the build when the device is missing
};

// The first field without a known key is the name, even when it contains `=`. Errors are
// kInvalidArgument with BuildKit's words: `failed to parse csv devices: ...`, `device name
// already set to X`, `invalid value for required: X`, `invalid field 'x' must be a key=value
// pair`, `unexpected key 'k' in 'k=v'`.
Result<RunDevice> ParseRunDevice(std::string_view spec);

}  // namespace bt::frontend
