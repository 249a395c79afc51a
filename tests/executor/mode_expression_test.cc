// Tests for executor/fileop/mode_expression.h. Expected modes are what chmod(1) gives (the
// reference BuildKit's testChmodNonOctal compares COPY --chmod against), worked out by hand
// from the setmode(3) rules; the syntax cases follow dchapes-mode's grammar.
#include "executor/fileop/mode_expression.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

namespace bt::executor {
namespace {

mode_t ApplyTo(const char* expr, mode_t mode) {
  auto m = ModeExpression::Parse(expr);
  INFO("expression " << expr);
  REQUIRE(m.has_value());
  return m->Apply(mode) & 07777;
}

TEST_CASE("BuildKit's testChmodNonOctal cases give chmod(1)'s answers", "[executor][mode_expression]") {
  // A file 0666 and a directory 0124, as in the BuildKit test.
  CHECK(ApplyTo("go-w", S_IFREG | 0666) == 0644);
  CHECK(ApplyTo("u=rw,g=r,o=r", S_IFREG | 0666) == 0644);
  CHECK(ApplyTo("a+X", S_IFREG | 0666) == 0666);  // no x anywhere: X adds nothing to a file
  CHECK(ApplyTo("go-w", S_IFDIR | 0124) == 0104);
  CHECK(ApplyTo("u+rw,g+r,o-x,o+w", S_IFDIR | 0124) == 0766);
  CHECK(ApplyTo("a+X", S_IFDIR | 0124) == 0135);  // a directory always gets X
}

TEST_CASE("symbolic modes: classes, several operators, copies, X, s and t", "[executor][mode_expression]") {
  CHECK(ApplyTo("+x", S_IFREG | 0644) == 0755);        // no class: all (umask 0)
  CHECK(ApplyTo("u+x", S_IFREG | 0644) == 0744);
  CHECK(ApplyTo("a=r", S_IFREG | 0777) == 0444);
  CHECK(ApplyTo("u+r-w", S_IFREG | 0200) == 0400);     // two operators in one clause
  CHECK(ApplyTo("go=u-w", S_IFREG | 0754) == 0755);    // group and other copy user, minus w
  CHECK(ApplyTo("g=u", S_IFREG | 0700) == 0770);
  CHECK(ApplyTo("o=", S_IFREG | 0777) == 0770);
  CHECK(ApplyTo("a+X", S_IFREG | 0744) == 0755);       // some x set: X sets all
  CHECK(ApplyTo("u+s", S_IFREG | 0755) == 04755);
  CHECK(ApplyTo("g+s", S_IFREG | 0755) == 02755);
  CHECK(ApplyTo("o+s", S_IFREG | 0755) == 0755);       // s means nothing for other alone
  CHECK(ApplyTo("+t", S_IFDIR | 0777) == 01777);
  CHECK(ApplyTo("o+t", S_IFDIR | 0777) == 0777);       // nor t
  CHECK(ApplyTo("=", S_IFREG | 04755) == 0);           // "=" clears all but sticky
  CHECK(ApplyTo("u-s", S_IFREG | 04755) == 0755);
}

TEST_CASE("an absolute octal expression sets every bit it names", "[executor][mode_expression]") {
  CHECK(ApplyTo("755", S_IFREG | 04644) == 0755);
  CHECK(ApplyTo("1777", S_IFDIR | 0755) == 01777);
  CHECK(ApplyTo("0", S_IFREG | 0644) == 0);
}

TEST_CASE("the file type is kept", "[executor][mode_expression]") {
  auto m = ModeExpression::Parse("u+x");
  REQUIRE(m.has_value());
  CHECK(S_ISDIR(m->Apply(S_IFDIR | 0644)));
  CHECK(S_ISREG(m->Apply(S_IFREG | 0644)));
}

TEST_CASE("malformed expressions are refused", "[executor][mode_expression]") {
  for (const char* bad : {"", "u", "u+r,", "x+r", "u+r;g", "8", "10000", "64a", "+q", "u+rw,,g+r"}) {
    INFO("expression '" << bad << "'");
    auto m = ModeExpression::Parse(bad);
    REQUIRE_FALSE(m.has_value());
    CHECK(m.error().code == ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace bt::executor
