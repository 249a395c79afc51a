// `--output` / `-o` values, parsed as buildx parses them (util/buildflags ParseExports): a
// CSV of key=value fields with a required `type`; a bare PATH is type=local,dest=PATH and a
// bare "-" is type=tar to standard output; `type=registry` is an image output with push=true;
// `dest` becomes the destination and every other key (lowercased, trimmed) an attribute.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace bt::cli {

struct OutputSpec {
  std::string type;         // local, tar, image, oci, docker, ...
  std::string destination;  // the `dest` field; "-" is standard output
  std::map<std::string, std::string> attrs;
};

// kInvalidArgument: "invalid value FIELD" for a field without '=', "type is required for
// output", and the CSV reader's errors.
Result<OutputSpec> ParseOutputSpec(std::string_view value);

}  // namespace bt::cli
