#include "frontend/instructions/run_device.h"

#include <vector>

#include "frontend/instructions/csv_fields.h"
#include "frontend/instructions/go_strconv.h"
#include "frontend/instructions/suggest.h"
#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

Error DeviceError(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace

Result<RunDevice> ParseRunDevice(std::string_view spec) {
  Result<std::vector<std::string>> fields = SplitCsvFields(spec);
  if (!fields) return DeviceError("failed to parse csv devices: " + fields.error().message);

  RunDevice device;
  for (const std::string& field : *fields) {
    const std::size_t eq = field.find('=');
    const std::string key = unicode::ToLower(std::string_view(field).substr(0, eq));
    if (eq == std::string::npos) {
      if (key == "required") {
        device.required = true;
      } else if (device.name.empty()) {
        device.name = field;
      } else {
        return DeviceError("invalid field '" + field + "' must be a key=value pair");
      }
      continue;
    }
    const std::string value = field.substr(eq + 1);
    if (key == "name") {
      if (!device.name.empty()) return DeviceError("device name already set to " + device.name);
      device.name = value;
    } else if (key == "required") {
      std::optional<bool> required = ParseGoBool(value);
      if (!required) return DeviceError("invalid value for " + key + ": " + value);
      device.required = *required;
    } else if (device.name.empty()) {
      device.name = field;  // `vendor.com/class=name`: the whole field is the name
    } else {
      static const std::vector<std::string> kKeys = {"name", "required"};
      return DeviceError(WithSuggestion("unexpected key '" + key + "' in '" + field + "'", key,
                                        kKeys, SuggestCase::kSensitive));
    }
  }
  return device;
}

}  // namespace bt::frontend
