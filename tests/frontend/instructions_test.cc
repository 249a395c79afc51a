// The Expand methods of the typed instructions: which fields BuildKit expands
// (commands.go's Expand/ExpandRaw, and convert.go's dispatch, toCommand and dispatchExpose for
// the rest), driven by the real shell lexer over a small environment.
#include "frontend/instructions/instructions.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "frontend/dockerfile_parser.h"
#include "frontend/instructions/instruction_builder.h"
#include "frontend/shell/shell_lexer.h"

namespace bt::frontend {
namespace {

using Strings = std::vector<std::string>;

const MapShellEnv& Env() {
  static const MapShellEnv env = {{"U", "app"},         {"D", "/data"}, {"P", "80 443/udp"},
                                  {"F", "file.txt"},    {"M", "0640"},  {"T", "cache"},
                                  {"SUM", "sha256:abc"}};
  return env;
}

DispatchExpanders Expanders() {
  static const ShellLexer word_lexer(ShellLexOptions{});
  static const ShellLexer raw_lexer(ShellLexOptions{.skip_process_quotes = true});
  DispatchExpanders e;
  e.word = [](std::string_view w) -> Result<std::string> {
    BT_ASSIGN_OR_RETURN(ExpandedWord x, word_lexer.ProcessWord(w, Env()));
    return x.word;
  };
  e.raw = [](std::string_view w) -> Result<std::string> {
    BT_ASSIGN_OR_RETURN(ExpandedWord x, raw_lexer.ProcessWord(w, Env()));
    return x.word;
  };
  e.words = [](std::string_view w) { return word_lexer.ProcessWords(w, Env()); };
  return e;
}

Instruction Expanded(std::string_view line) {
  Result<Ast> ast = ParseDockerfile(line, ParseOptions{});
  REQUIRE(ast.has_value());
  Result<Instruction> built = BuildInstruction(ast->instructions.at(0));
  REQUIRE(built.has_value());
  Result<void> expanded = ExpandForDispatch(*built, Expanders());
  if (!expanded) FAIL("expand error: " << expanded.error().message);
  return std::move(*built);
}

template <typename T>
T ExpandedAs(std::string_view line) {
  Instruction i = Expanded(line);
  REQUIRE(std::holds_alternative<T>(i));
  return std::get<T>(std::move(i));
}

TEST_CASE("ENV and LABEL expand keys and values", "[frontend][instructions][expand]") {
  const EnvCmd env = ExpandedAs<EnvCmd>(R"(ENV HOME_$U="$D/x y" other=$U)");
  REQUIRE(env.env.size() == 2);
  CHECK(env.env[0].key == "HOME_app");
  CHECK(env.env[0].value == "/data/x y");
  CHECK(env.env[1].value == "app");
  const LabelCmd label = ExpandedAs<LabelCmd>(R"(LABEL "owner.$U"='$U')");
  CHECK(label.labels[0].key == "owner.app");
  CHECK(label.labels[0].value == "$U");
}

TEST_CASE("COPY expands sources destination chown and chmod but not from or excludes",
          "[frontend][instructions][expand]") {
  const CopyCmd copy =
      ExpandedAs<CopyCmd>("COPY --from=$U --chown=$U:$U --chmod=$M --exclude=$F $F $D/");
  CHECK(copy.chown == "app:app");
  CHECK(copy.chmod == "0640");
  CHECK(copy.files.source_paths == Strings{"file.txt"});
  CHECK(copy.files.dest_path == "/data/");
  CHECK(copy.from == "$U");
  CHECK(copy.exclude_patterns == Strings{"$F"});
}

TEST_CASE("ADD expands its checksum too", "[frontend][instructions][expand]") {
  const AddCmd add = ExpandedAs<AddCmd>("ADD --checksum=$SUM --chown=$U https://x/$F $D");
  CHECK(add.checksum == "sha256:abc");
  CHECK(add.chown == "app");
  CHECK(add.files.source_paths == Strings{"https://x/file.txt"});
  CHECK(add.files.dest_path == "/data");
}

TEST_CASE("heredoc sources expand raw and only when unquoted", "[frontend][instructions][expand]") {
  const CopyCmd open = ExpandedAs<CopyCmd>("COPY <<EOF /x\nuser \"$U\"\nEOF\n");
  // Raw expansion keeps the quotes (SkipProcessQuotes).
  CHECK(open.files.source_contents.at(0).data == "user \"app\"\n");
  const CopyCmd quoted = ExpandedAs<CopyCmd>("COPY <<'EOF' /x\nuser $U\nEOF\n");
  CHECK(quoted.files.source_contents.at(0).data == "user $U\n");
}

TEST_CASE("RUN expands its mounts and nothing else", "[frontend][instructions][expand]") {
  const RunCmd run = ExpandedAs<RunCmd>("RUN --mount=type=$T,target=$D,id=$U echo $U");
  REQUIRE(run.mounts.size() == 1);
  CHECK(run.mounts[0].type == MountType::kCache);
  CHECK(run.mounts[0].target == "/data");
  CHECK(run.mounts[0].id == "app");
  CHECK_FALSE(run.mounts[0].read_only);
  CHECK(run.mount_specs == Strings{"type=$T,target=$D,id=$U"});
  CHECK(run.command.cmd_line == Strings{"echo $U"});
}

TEST_CASE("mount errors deferred to expansion carry the instruction's lines",
          "[frontend][instructions][expand]") {
  // testMountInvalid: `typ=` passes the build and fails once expanded.
  Result<Ast> ast = ParseDockerfile("FROM scratch\nRUN --mount=typ=tmpfs /bin/true\n", {});
  REQUIRE(ast.has_value());
  Result<Instruction> built = BuildInstruction(ast->instructions.at(1));
  REQUIRE(built.has_value());
  Result<void> expanded = ExpandForDispatch(*built, Expanders());
  REQUIRE_FALSE(expanded.has_value());
  CHECK(expanded.error().message == "unexpected key 'typ' in 'typ=tmpfs' (did you mean type?)");
  REQUIRE(expanded.error().where.has_value());
  CHECK(expanded.error().where->start_line == 2);
}

TEST_CASE("WORKDIR USER VOLUME and STOPSIGNAL expand their values",
          "[frontend][instructions][expand]") {
  CHECK(ExpandedAs<WorkdirCmd>("WORKDIR $D/app").path == "/data/app");
  CHECK(ExpandedAs<UserCmd>("USER $U:$U").user == "app:app");
  CHECK(ExpandedAs<VolumeCmd>("VOLUME $D /logs").volumes == Strings{"/data", "/logs"});
  CHECK(ExpandedAs<StopSignalCmd>("STOPSIGNAL ${S:-SIGTERM}").signal == "SIGTERM");
}

TEST_CASE("EXPOSE expands each entry into words", "[frontend][instructions][expand]") {
  CHECK(ExpandedAs<ExposeCmd>("EXPOSE $P 8080").ports == Strings{"80", "443/udp", "8080"});
}

TEST_CASE("commands ONBUILD FROM and ARG are left as written", "[frontend][instructions][expand]") {
  CHECK(ExpandedAs<CmdCmd>("CMD echo $U").command.cmd_line == Strings{"echo $U"});
  CHECK(ExpandedAs<EntrypointCmd>(R"(ENTRYPOINT ["$U"])").command.cmd_line == Strings{"$U"});
  CHECK(ExpandedAs<OnbuildCmd>("ONBUILD RUN echo $U").expression == "RUN echo $U");
  const FromCmd from = ExpandedAs<FromCmd>("FROM --platform=$U $U AS x");
  CHECK(from.base_name == "$U");
  CHECK(from.platform == "$U");
  // dispatch() skips ARG: dispatchArg expands a default only when no build-arg overrides it.
  const ArgCmd arg = ExpandedAs<ArgCmd>("ARG A=$U");
  CHECK(arg.args[0].value == std::optional<std::string>("$U"));
}

TEST_CASE("ARG's own Expand covers keys and defaults", "[frontend][instructions][expand]") {
  ArgCmd arg;
  arg.args = {{"K_$U", std::string("$D")}, {"bare", std::nullopt}};
  REQUIRE(arg.Expand(Expanders().word).has_value());
  CHECK(arg.args[0].key == "K_app");
  CHECK(arg.args[0].value == std::optional<std::string>("/data"));
  CHECK_FALSE(arg.args[1].value.has_value());
}

TEST_CASE("COPY --from must not need expansion", "[frontend][instructions][expand]") {
  static const ShellLexer lexer(ShellLexOptions{});
  static const MapShellEnv empty;
  const WordExpander no_env = [](std::string_view w) -> Result<std::string> {
    BT_ASSIGN_OR_RETURN(ExpandedWord x, lexer.ProcessWord(w, empty));
    return x.word;
  };
  CopyCmd copy;
  copy.from = "build";
  CHECK(copy.CheckFromNeedsNoExpansion(no_env).has_value());
  copy.from = "$STAGE";
  Result<void> checked = copy.CheckFromNeedsNoExpansion(no_env);
  REQUIRE_FALSE(checked.has_value());
  CHECK(checked.error().message ==
        "variable expansion is not supported for --from, define a new stage with FROM using ARG "
        "from global scope as a workaround");
}

TEST_CASE("an expander error stops expansion and gets a location",
          "[frontend][instructions][expand]") {
  Result<Ast> ast = ParseDockerfile("FROM scratch\nWORKDIR ${X:?must be set}\n", {});
  REQUIRE(ast.has_value());
  Result<Instruction> built = BuildInstruction(ast->instructions.at(1));
  REQUIRE(built.has_value());
  Result<void> expanded = ExpandForDispatch(*built, Expanders());
  REQUIRE_FALSE(expanded.has_value());
  CHECK(expanded.error().message.find("must be set") != std::string::npos);
  REQUIRE(expanded.error().where.has_value());
  CHECK(expanded.error().where->start_line == 2);
}

}  // namespace
}  // namespace bt::frontend
