// ParseDockerfile beyond the conformance corpus: errors and their lines, line numbers,
// directives, heredocs, warnings. Expectations follow BuildKit's parser_test.go,
// directives_test.go and parser_heredoc_test.go (cited per case) and the rules written in
// ../shared/conformance/parser/README.md.
#include "frontend/dockerfile_parser.h"

#include <string>

#include <catch2/catch.hpp>

namespace bt::frontend {
namespace {

Ast MustParse(std::string_view text) {
  Result<Ast> ast = ParseDockerfile(text, ParseOptions{});
  if (!ast) FAIL("unexpected error: " << ast.error().message);
  return std::move(*ast);
}

Error MustFail(std::string_view text) {
  Result<Ast> ast = ParseDockerfile(text, ParseOptions{"Dockerfile.test"});
  REQUIRE_FALSE(ast.has_value());
  return ast.error();
}

TEST_CASE("errors name the file and the lines of the offending instruction",
          "[frontend][parser]") {
  SECTION("a JSON array with a number") {
    const Error e = MustFail("FROM scratch\n\nCOPY [\"a\", 1, \"/b\"]\n");
    CHECK(e.code == ErrorCode::kInvalidArgument);
    CHECK(e.message == "when using JSON array syntax, arrays must be comprised of strings only");
    REQUIRE(e.where);
    CHECK(e.where->file == "Dockerfile.test");
    CHECK(e.where->start_line == 3);
    CHECK(e.where->end_line == 3);
  }
  SECTION("ENV without a value, continued over two lines") {
    const Error e = MustFail("FROM scratch\nENV \\\n  foo\n");
    CHECK(e.message == "ENV must have two arguments");
    CHECK(e.where->start_line == 2);
    CHECK(e.where->end_line == 3);
  }
  SECTION("a word without = among key=value pairs") {
    const Error e = MustFail("FROM scratch\nLABEL a=b c\n");
    CHECK(e.message == "Syntax error - can't find = in \"c\". Must be of the form: name=value");
    CHECK(e.where->start_line == 2);
  }
  SECTION("an unterminated heredoc reports its instruction up to the end of the file") {
    const Error e = MustFail("FROM busybox\nRUN <<EOF\nline\nmore\n");
    CHECK(e.message == "unterminated heredoc");
    CHECK(e.where->start_line == 2);
    CHECK(e.where->end_line == 4);
  }
  SECTION("an unterminated heredoc when the file ends inside the instruction's continuation") {
    const Error e = MustFail("FROM busybox\nRUN cat <<EOF \\\n");
    CHECK(e.message == "unterminated heredoc");
    CHECK(e.where->start_line == 2);
  }
}

TEST_CASE("an empty or comment-only Dockerfile is an error", "[frontend][parser]") {
  // BuildKit: testfiles-negative/empty_dockerfile and only_comments.
  CHECK(MustFail("").message == "file with no instructions");
  CHECK(MustFail("\n\n   \n").message == "file with no instructions");
  CHECK(MustFail("# syntax=x\n# just a comment\n").message == "file with no instructions");
}

TEST_CASE("a line over 64 KiB is rejected as BuildKit's scanner rejects it", "[frontend][parser]") {
  // parser_test.go TestParseReturnsScannerErrors.
  const std::string label(65536, 'a');
  const Error e = MustFail("\n\t\tFROM image\n\t\tLABEL test=" + label + "\n");
  CHECK(e.message == "dockerfile line greater than max allowed size of 65535");
  CHECK(e.where->start_line == 3);
  // The longest accepted line: 65535 bytes and its newline.
  const std::string fits = "LABEL a=" + std::string(65535 - 8, 'b') + "\n";
  CHECK(MustParse("FROM x\n" + fits).instructions.size() == 2);
}

TEST_CASE("instructions keep their first and last physical line", "[frontend][parser]") {
  // The numbers of conformance/parser/extra/positive/testfile-line, written out here.
  const Ast ast = MustParse(
      "# comment\n"          // 1
      "\n"                   // 2
      "FROM a \\\n"          // 3
      "  # inside\n"         // 4
      "\n"                   // 5
      "  AS b\n"             // 6
      "RUN x\n"              // 7
      "COPY <<A <<B /d\n"    // 8
      "a\n"                  // 9
      "A\n"                  // 10
      "b\n"                  // 11
      "B\n"                  // 12
      "CMD y \\\n");         // 13, continued into the end of file
  REQUIRE(ast.instructions.size() == 4);
  CHECK(ast.instructions[0].start_line == 3);
  CHECK(ast.instructions[0].end_line == 6);
  CHECK(ast.instructions[0].Dump() == "from \"a\" \"AS\" \"b\"");
  CHECK(ast.instructions[1].start_line == 7);
  CHECK(ast.instructions[1].end_line == 7);
  CHECK(ast.instructions[2].start_line == 8);
  CHECK(ast.instructions[2].end_line == 12);
  CHECK(ast.instructions[3].start_line == 13);
  CHECK(ast.instructions[3].end_line == 13);
}

TEST_CASE("parser directives are read only at the top of the file", "[frontend][parser]") {
  SECTION("escape, syntax and check, in any case and spacing") {
    const Ast ast = MustParse("#  ESCAPE = `\n# Syntax=docker/dockerfile:1 \n#check=skip=all\nFROM x\n");
    CHECK(ast.directives.escape == '`');
    CHECK(ast.directives.syntax == "docker/dockerfile:1");
    CHECK(ast.directives.check == "skip=all");
  }
  SECTION("a directive after a blank line is a comment") {
    const Ast ast = MustParse("\n# escape=`\nFROM x\nRUN a \\\nb\n");
    CHECK(ast.directives.escape == '\\');
    CHECK(ast.instructions[1].Dump() == "run \"a b\"");
  }
  SECTION("a directive after an instruction is a comment") {
    const Ast ast = MustParse("FROM x\n# escape=`\nRUN a `\nb\n");
    CHECK(ast.directives.escape == '\\');
    REQUIRE(ast.instructions.size() == 3);  // the backtick does not continue the line
  }
  SECTION("an unknown directive ends the directives") {
    const Ast ast = MustParse("# foo=bar\n# escape=`\nFROM x\n");
    CHECK(ast.directives.escape == '\\');
  }
  SECTION("the backtick escape continues lines and leaves backslashes alone") {
    const Ast ast = MustParse("# escape=`\nFROM x\nRUN dir c:\\ `\n  && echo\n");
    CHECK(ast.instructions[1].Dump() == "run \"dir c:\\\\   && echo\"");
  }
  SECTION("the same directive twice is an error on the second line") {
    const Error e = MustFail("# escape=`\n# escape=\\\nFROM x\n");
    CHECK(e.message == "only one escape parser directive can be used");
    CHECK(e.where->start_line == 2);
  }
  SECTION("an escape other than backslash or backtick is an error") {
    const Error e = MustFail("# escape=x\nFROM x\n");
    CHECK(e.message == "invalid escape token 'x' does not match ` or \\");
    CHECK(e.where->start_line == 1);
  }
}

TEST_CASE("a UTF-8 BOM and CRLF line endings parse like plain LF files", "[frontend][parser]") {
  const Ast crlf = MustParse("\xEF\xBB\xBF# escape=`\r\nFROM x\r\nRUN a `\r\n  b\r\n");
  const Ast lf = MustParse("# escape=`\nFROM x\nRUN a `\n  b\n");
  CHECK(crlf.Dump() == lf.Dump());
  CHECK(crlf.directives.escape == '`');
}

TEST_CASE("heredocs keep their raw bodies and attributes", "[frontend][parser]") {
  // parser_heredoc_test.go TestParseHeredocHelpers / TestHeredocsFromLine cases.
  SECTION("several heredocs on one line, quoted and chomped") {
    const Ast ast = MustParse(
        "FROM x\n"
        "COPY <<-\"A\" 3<<'B' <<C /dest\n"
        "\t\tfirst $X\n"
        "\tA\n"
        "second\n"
        "B\n"
        "third\r\n"
        "C\n");
    const Node& copy = ast.instructions[1];
    REQUIRE(copy.heredocs.size() == 3);
    CHECK(copy.heredocs[0].name == "A");
    CHECK(copy.heredocs[0].chomp);
    CHECK_FALSE(copy.heredocs[0].expand);
    CHECK(copy.heredocs[0].content == "\t\tfirst $X\n");
    CHECK(copy.heredocs[1].name == "B");
    CHECK(copy.heredocs[1].fd == 3);
    CHECK_FALSE(copy.heredocs[1].expand);
    CHECK(copy.heredocs[1].content == "second\n");
    CHECK(copy.heredocs[2].name == "C");
    CHECK(copy.heredocs[2].expand);
    CHECK(copy.heredocs[2].content == "third\r\n");
    CHECK(copy.Dump() == "copy \"<<-\\\"A\\\"\" \"3<<'B'\" \"<<C\" \"/dest\"");
  }
  SECTION("a body line that looks like an instruction stays in the body") {
    const Ast ast = MustParse("FROM x\nRUN <<EOF\nFROM y \\\nEOF\nCMD z\n");
    REQUIRE(ast.instructions.size() == 3);
    CHECK(ast.instructions[1].heredocs[0].content == "FROM y \\\n");
    CHECK(ast.instructions[2].Dump() == "cmd \"z\"");
  }
  SECTION("JSON form, CMD and an unbalanced quote open no heredoc") {
    const Ast ast = MustParse("FROM x\nRUN [\"cat\", \"<<EOF\"]\nCMD <<EOF\nRUN echo 'a <<EOF\n");
    REQUIRE(ast.instructions.size() == 4);
    for (const Node& n : ast.instructions) CHECK(n.heredocs.empty());
  }
  SECTION("ONBUILD looks through to the wrapped instruction") {
    const Ast ast = MustParse("FROM x\nONBUILD RUN <<EOF\nbody\nEOF\n");
    REQUIRE(ast.instructions.size() == 2);
    CHECK(ast.instructions[1].heredocs.size() == 1);
    CHECK(ast.instructions[1].Dump() == "onbuild (run \"<<EOF\")");
  }
}

TEST_CASE("empty continuation lines are accepted with a warning", "[frontend][parser]") {
  // parser_test.go TestParseWarnsOnEmptyContinutationLine.
  const Ast ast = MustParse(R"(
FROM alpine:3.6

RUN valid \
    continuation

RUN something \

    following \

    more

RUN another \

    thing

RUN non-indented \
# this is a comment
   after-comment

RUN indented \
    # this is an indented comment
    comment
	)");
  REQUIRE(ast.warnings.size() == 2);
  CHECK(ast.warnings[0].message.find("RUN something     following     more") != std::string::npos);
  CHECK(ast.warnings[1].message.find("RUN another     thing") != std::string::npos);
  CHECK(ast.instructions[4].Dump() == "run \"non-indented    after-comment\"");
}

}  // namespace
}  // namespace bt::frontend
