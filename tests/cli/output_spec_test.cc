// --output values, parsed as buildx's ParseExports does (util/buildflags/export.go).
#include "cli/output_spec.h"

#include <catch2/catch.hpp>

namespace bt::cli {
namespace {

TEST_CASE("output specs follow buildx", "[cli][output]") {
  SECTION("a bare path is a local export") {
    const OutputSpec o = *ParseOutputSpec("out/dir");
    CHECK(o.type == "local");
    CHECK(o.destination == "out/dir");
  }
  SECTION("a bare dash is a tar on standard output") {
    const OutputSpec o = *ParseOutputSpec("-");
    CHECK(o.type == "tar");
    CHECK(o.destination == "-");
  }
  SECTION("key=value fields; dest becomes the destination, keys are lowercased") {
    const OutputSpec o = *ParseOutputSpec("type=tar,dest=out.tar, Compression =zstd");
    CHECK(o.type == "tar");
    CHECK(o.destination == "out.tar");
    CHECK(o.attrs == std::map<std::string, std::string>{{"compression", "zstd"}});
  }
  SECTION("quoted fields keep their commas") {
    const OutputSpec o = *ParseOutputSpec("type=local,\"dest=a,b\"");
    CHECK(o.destination == "a,b");
  }
  SECTION("registry is an image output that pushes") {
    const OutputSpec o = *ParseOutputSpec("type=registry,name=localhost:5000/app");
    CHECK(o.type == "image");
    CHECK(o.attrs.at("push") == "true");
    CHECK(o.attrs.at("name") == "localhost:5000/app");
  }
  SECTION("errors") {
    CHECK(ParseOutputSpec("dest=x,mode=y").error().message == "type is required for output");
    CHECK(ParseOutputSpec("dest=x")->type == "local");  // one field is a path, as in buildx
    CHECK(ParseOutputSpec("type=local,oops").error().message == "invalid value oops");
    CHECK(ParseOutputSpec("type=local,dest=\"x").error().code == ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace bt::cli
