#include "base/result.h"

#include <cerrno>
#include <string>

#include <catch2/catch.hpp>

namespace bt {
namespace {

Result<int> Half(int v) {
  if (v % 2 != 0) return MakeError(ErrorCode::kInvalidArgument, "odd value " + std::to_string(v));
  return v / 2;
}

Result<int> Quarter(int v) {
  BT_ASSIGN_OR_RETURN(int half, Half(v));
  return Half(half);
}

Result<void> RequireEven(int v) {
  BT_TRY(Half(v));
  return {};
}

TEST_CASE("a Result holds either its value or its error", "[base][result]") {
  const Result<int> ok = Half(8);
  REQUIRE(ok.has_value());
  CHECK(*ok == 4);
  const Result<int> bad = Half(3);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == ErrorCode::kInvalidArgument);
  CHECK(bad.error().message == "odd value 3");
}

TEST_CASE("BT_ASSIGN_OR_RETURN and BT_TRY pass the first error up unchanged", "[base][result]") {
  CHECK(*Quarter(8) == 2);
  const Result<int> r = Quarter(6);  // 6 -> 3 -> odd
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message == "odd value 3");
  CHECK(RequireEven(4).has_value());
  CHECK(RequireEven(5).error().message == "odd value 5");
}

TEST_CASE("ErrnoError names the operation, the path and the system's reason", "[base][result]") {
  const Error e = ErrnoError("open", "/nonexistent", ENOENT);
  CHECK(e.code == ErrorCode::kIo);
  CHECK(e.sys_errno == ENOENT);
  CHECK(e.message == "open /nonexistent: No such file or directory");
}

TEST_CASE("Wrap adds context lines innermost first", "[base][result]") {
  Error e = MakeError(ErrorCode::kNotFound, "blob missing");
  e = std::move(e).Wrap("read layer").Wrap("export image");
  REQUIRE(e.context.size() == 2);
  CHECK(e.context[0] == "read layer");
  CHECK(e.context[1] == "export image");
}

}  // namespace
}  // namespace bt
