// ParseRunDevice against BuildKit's commands_rundevice_test.go (TestParseDevice, every case)
// and the other messages of commands_rundevice.go.
#include "frontend/instructions/run_device.h"

#include <catch2/catch.hpp>
#include <string>

namespace bt::frontend {
namespace {

struct Case {
  const char* input;
  const char* name;
  bool required;
};

TEST_CASE("device values parse as in TestParseDevice", "[frontend][run_device]") {
  for (const Case& c : {
           Case{"vendor1.com/device=foo", "vendor1.com/device=foo", false},
           Case{"vendor1.com/device", "vendor1.com/device", false},
           Case{"vendor1.com/device=foo,required", "vendor1.com/device=foo", true},
           Case{"vendor1.com/device=foo,required=true", "vendor1.com/device=foo", true},
           Case{"vendor1.com/device=foo,required=false", "vendor1.com/device=foo", false},
           Case{"name=vendor1.com/device=foo", "vendor1.com/device=foo", false},
           Case{"name=vendor1.com/device=foo,required", "vendor1.com/device=foo", true},
       }) {
    INFO("input: " << c.input);
    Result<RunDevice> device = ParseRunDevice(c.input);
    REQUIRE(device.has_value());
    CHECK(device->name == c.name);
    CHECK(device->required == c.required);
  }
}

TEST_CASE("a second device name is an error", "[frontend][run_device]") {
  Result<RunDevice> device = ParseRunDevice("vendor1.com/device=foo,name=vendor2.com/device=bar");
  REQUIRE_FALSE(device.has_value());
  CHECK(device.error().message == "device name already set to vendor1.com/device=foo");
}

TEST_CASE("bad device fields get BuildKit's messages", "[frontend][run_device]") {
  const auto error = [](const char* spec) {
    Result<RunDevice> device = ParseRunDevice(spec);
    REQUIRE_FALSE(device.has_value());
    CHECK(device.error().code == ErrorCode::kInvalidArgument);
    return device.error().message;
  };
  CHECK(error("a,b") == "invalid field 'b' must be a key=value pair");
  CHECK(error("a,required=maybe") == "invalid value for required: maybe");
  CHECK(error("a,nme=x") == "unexpected key 'nme' in 'nme=x' (did you mean name?)");
  CHECK(error("") == "failed to parse csv devices: EOF");
}

}  // namespace
}  // namespace bt::frontend
