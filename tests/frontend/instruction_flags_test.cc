// InstructionFlags against BuildKit's bflag_test.go (TestBuilderFlags, step by step) and the
// messages of bflag.go, plus the hint that testMountInvalid (dockerfile_mount_test.go)
// expects for a misspelled flag.
#include "frontend/instructions/instruction_flags.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace bt::frontend {
namespace {

using Args = std::vector<std::string>;

std::string ParseError(InstructionFlags& flags) {
  Result<void> parsed = flags.Parse();
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
  return parsed.error().message;
}

TEST_CASE("no flags and a lone -- parse without error", "[frontend][instruction_flags]") {
  InstructionFlags none(Args{});
  CHECK(none.Parse().has_value());
  InstructionFlags dashes(Args{"--"});
  CHECK(dashes.Parse().has_value());
}

TEST_CASE("defined flags keep their defaults when not given", "[frontend][instruction_flags]") {
  InstructionFlags flags(Args{});
  const auto& str1 = flags.AddString("str1", "HI");
  const auto& bool1 = flags.AddBool("bool1", false);
  REQUIRE(flags.Parse().has_value());
  CHECK(str1.value() == "HI");
  CHECK_FALSE(bool1.is_true());
  CHECK_FALSE(str1.is_used());
  CHECK_FALSE(bool1.is_used());
}

TEST_CASE("a string flag needs = but may be empty", "[frontend][instruction_flags]") {
  SECTION("--str1 without a value") {
    InstructionFlags flags(Args{"--str1"});
    flags.AddString("str1", "HI");
    CHECK(ParseError(flags) == "missing a value on flag: --str1");
  }
  SECTION("--str1= is the empty string") {
    InstructionFlags flags(Args{"--str1="});
    const auto& str1 = flags.AddString("str1", "HI");
    REQUIRE(flags.Parse().has_value());
    CHECK(str1.value().empty());
    CHECK(str1.is_used());
  }
  SECTION("--str1=BYE") {
    InstructionFlags flags(Args{"--str1=BYE"});
    const auto& str1 = flags.AddString("str1", "HI");
    REQUIRE(flags.Parse().has_value());
    CHECK(str1.value() == "BYE");
  }
  SECTION("only the first = separates the value") {
    InstructionFlags flags(Args{"--from=a=b"});
    const auto& from = flags.AddString("from");
    REQUIRE(flags.Parse().has_value());
    CHECK(from.value() == "a=b");
  }
}

TEST_CASE("a bool flag is true bare or with true and false with false",
          "[frontend][instruction_flags]") {
  const auto value_of = [](std::string arg) {
    InstructionFlags flags(Args{std::move(arg)});
    const auto& b = flags.AddBool("bool1", false);
    REQUIRE(flags.Parse().has_value());
    return b.is_true();
  };
  CHECK(value_of("--bool1"));
  CHECK(value_of("--bool1=true"));
  CHECK(value_of("--bool1=TRUE"));
  CHECK_FALSE(value_of("--bool1=false"));
  CHECK_FALSE(value_of("--bool1=False"));
}

TEST_CASE("a bool flag rejects other values and an empty value", "[frontend][instruction_flags]") {
  SECTION("false1") {
    InstructionFlags flags(Args{"--bool1=false1"});
    flags.AddBool("bool1", false);
    CHECK(ParseError(flags) == "expecting boolean value for flag --bool1, not: false1");
  }
  SECTION("empty") {
    InstructionFlags flags(Args{"--bool1="});
    flags.AddBool("bool1", false);
    CHECK(ParseError(flags) == "missing a value on flag: --bool1");
  }
}

TEST_CASE("an unknown flag is reported with its dashes", "[frontend][instruction_flags]") {
  InstructionFlags flags(Args{"--bool2"});
  flags.AddBool("bool1", false);
  flags.AddString("zzzzzzzz");
  // bool1 is one edit away, so BuildKit's suggest adds a hint.
  CHECK(ParseError(flags) == "unknown flag: --bool2 (did you mean bool1?)");

  InstructionFlags far(Args{"--boo"});
  CHECK(ParseError(far) == "unknown flag: --boo");  // parse_test.go TestErrorCases
}

TEST_CASE("a misspelled flag gets a did you mean hint", "[frontend][instruction_flags]") {
  // dockerfile_mount_test.go testMountInvalid: `RUN --mont=...`.
  InstructionFlags flags(Args{"--mont=target=/mytmp,type=tmpfs"});
  flags.AddStrings("device");
  flags.AddStrings("mount");
  flags.AddString("network", "default");
  flags.AddString("security", "sandbox");
  CHECK(ParseError(flags) == "unknown flag: --mont (did you mean mount?)");
}

TEST_CASE("flag names are case sensitive", "[frontend][instruction_flags]") {
  InstructionFlags flags(Args{"--FROM=x"});
  flags.AddString("from");
  // The hint compares case-sensitively too: FROM is four edits from from.
  CHECK(ParseError(flags) == "unknown flag: --FROM");
}

TEST_CASE("several flags and Used list what was given", "[frontend][instruction_flags]") {
  InstructionFlags flags(Args{"--bool1", "--str1=BYE"});
  const auto& str1 = flags.AddString("str1", "HI");
  const auto& bool1 = flags.AddBool("bool1", false);
  REQUIRE(flags.Parse().has_value());
  CHECK(str1.value() == "BYE");
  CHECK(bool1.is_true());

  InstructionFlags many(Args{"--bool2=false", "--bool3", "--bool4=true", "--bool5",
                             "--str2= ", "--str3=def3", "--str4=my-val"});
  many.AddBool("bool1", false);
  many.AddBool("bool2", false);
  many.AddBool("bool3", false);
  many.AddBool("bool4", true);
  many.AddBool("bool5", true);
  many.AddString("str1", "");
  many.AddString("str2", "");
  many.AddString("str3", "def3");
  many.AddString("str4", "def4");
  REQUIRE(many.Parse().has_value());
  CHECK(many.Used() == Args{"bool2", "bool3", "bool4", "bool5", "str2", "str3", "str4"});
}

TEST_CASE("only string-slice flags may repeat", "[frontend][instruction_flags]") {
  SECTION("a string flag twice") {
    InstructionFlags flags(Args{"--chown=a", "--chown=b"});
    flags.AddString("chown");
    CHECK(ParseError(flags) == "duplicate flag specified: --chown");
  }
  SECTION("a bool flag twice") {
    InstructionFlags flags(Args{"--link", "--link=false"});
    flags.AddBool("link");
    CHECK(ParseError(flags) == "duplicate flag specified: --link");
  }
  SECTION("a string-slice flag keeps every value in order") {
    InstructionFlags flags(Args{"--exclude=*.md", "--exclude=.git"});
    const auto& exclude = flags.AddStrings("exclude");
    REQUIRE(flags.Parse().has_value());
    CHECK(exclude.values() == Args{"*.md", ".git"});
  }
  SECTION("a string-slice flag still needs a value") {
    InstructionFlags flags(Args{"--exclude"});
    flags.AddStrings("exclude");
    CHECK(ParseError(flags) == "missing a value on flag: --exclude");
  }
}

TEST_CASE("flags after -- are not read and other words are errors",
          "[frontend][instruction_flags]") {
  InstructionFlags stop(Args{"--", "--nosuch"});
  CHECK(stop.Parse().has_value());

  InstructionFlags word(Args{"notaflag"});
  CHECK(ParseError(word) == "arg should start with -- : notaflag");
}

TEST_CASE("defining a flag twice is reported when parsing", "[frontend][instruction_flags]") {
  InstructionFlags flags(Args{});
  flags.AddString("from");
  flags.AddBool("from");
  CHECK(ParseError(flags) == "error setting up flags: Duplicate flag defined: from");
}

}  // namespace
}  // namespace bt::frontend
