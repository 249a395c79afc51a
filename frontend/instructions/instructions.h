// The typed Dockerfile instructions: one struct per instruction, as BuildKit's instructions
// package defines them (frontend/dockerfile/instructions/commands.go), built from AST nodes
// by BuildInstruction (instruction_builder.h). Every value is stored as written: variables
// are expanded later, per stage, by the dispatcher, through the Expand methods below, which
// touch exactly the fields BuildKit's Expand methods touch; they return the expander's errors
// (or a --mount's) without a location, which ExpandForDispatch adds. Plain values that own
// their data; no shared state.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/result.h"
#include "frontend/instructions/run_device.h"
#include "frontend/instructions/run_mount.h"
#include "frontend/instructions/word_expander.h"

namespace bt::frontend {

// Where an instruction came from (BuildKit's withNameAndCode and Location()).
struct InstructionOrigin {
  std::string keyword;  // as written (`cOpY`); BuildKit's Name()
  std::string code;     // the logical line, trimmed (BuildKit's String(): history created_by)
  int start_line = 0;   // 1-based and inclusive, heredoc bodies included
  int end_line = 0;
};

// One `key=value` of ENV or LABEL, quotes still in place until expanded.
struct KeyValue {
  std::string key;
  std::string value;
  bool no_delim = false;  // written in the old `ENV key value` form
};

// ---- Commands that run something -------------------------------------------------------

// A heredoc that RUN writes to a file and runs (BuildKit's ShellInlineFile).
struct ShellInlineFile {
  std::string name;    // the heredoc's terminator word
  std::string data;    // the body as written: leading tabs are kept even when `chomp`
  bool chomp = false;  // `<<-`: the consumer strips leading tabs
};

// The command of RUN, CMD and ENTRYPOINT (BuildKit's ShellDependantCmdLine).
struct ShellDependantCmdLine {
  // Exec form: the JSON array's elements. Shell form: one element, the text as written
  // (`<<EOF` words included for heredocs). Empty when nothing was written; BuildKit stores
  // ENTRYPOINT's empty form as nil, which the image config cannot tell apart from empty.
  std::vector<std::string> cmd_line;
  std::vector<ShellInlineFile> files;  // RUN heredocs, in order
  bool prepend_shell = false;          // shell form: run through the stage's SHELL
};

// RUN [--mount=...]... [--network=...] [--security=...] [--device=...]... command
struct RunCmd {
  InstructionOrigin origin;
  ShellDependantCmdLine command;         // never expanded
  std::vector<std::string> mount_specs;  // the --mount values as written, in order
  // One per mount_spec. Until Expand only `from` is meaningful (BuildKit's runMountPostHook
  // parses with no expander so that stage dependencies are known); Expand parses fully.
  std::vector<RunMount> mounts;
  NetworkMode network = NetworkMode::kDefault;
  SecurityMode security = SecurityMode::kSandbox;
  std::vector<RunDevice> devices;
  std::vector<std::string> flags_used;  // names of the flags given (BuildKit's FlagsUsed)

  // RunCommand.Expand: reparses every --mount with `expand` applied to each value. The
  // command itself, --network, --security and --device are not expanded.
  Result<void> Expand(const WordExpander& expand);
};

// CMD command
struct CmdCmd {
  InstructionOrigin origin;
  ShellDependantCmdLine command;  // never expanded
};

// ENTRYPOINT command
struct EntrypointCmd {
  InstructionOrigin origin;
  ShellDependantCmdLine command;  // never expanded
};

// HEALTHCHECK NONE | HEALTHCHECK [--interval=D --timeout=D --start-period=D
// --start-interval=D --retries=N] CMD command
struct HealthcheckCmd {
  InstructionOrigin origin;
  // {"NONE"}, {"CMD", args...} (exec form) or {"CMD-SHELL", "command"} (shell form).
  std::vector<std::string> test;
  // Zero means "not set" (the image config then omits it); never below 1ms otherwise.
  std::chrono::nanoseconds interval{0};
  std::chrono::nanoseconds timeout{0};
  std::chrono::nanoseconds start_period{0};
  std::chrono::nanoseconds start_interval{0};
  int retries = 0;  // 0: not set
};

// SHELL ["executable", "parameters"]
struct ShellCmd {
  InstructionOrigin origin;
  std::vector<std::string> shell;  // never empty, never expanded
};

// ---- Files -----------------------------------------------------------------------------

// A heredoc used as a COPY/ADD source (BuildKit's SourceContent).
struct SourceContent {
  std::string path;     // the heredoc's name: the file name at the destination
  std::string data;     // the body; leading tabs already stripped for `<<-`
  bool expand = false;  // the heredoc word was unquoted: ExpandRaw expands `data`
};

// The sources and destination of COPY and ADD (BuildKit's SourcesAndDest).
struct SourcesAndDest {
  std::string dest_path;
  std::vector<std::string> source_paths;       // paths, wildcards and URLs, in order
  std::vector<SourceContent> source_contents;  // heredoc sources, in order

  // Expands every source path and the destination.
  Result<void> Expand(const WordExpander& expand);
  // Expands the data of heredocs with `expand` set; BuildKit passes a lexer that keeps
  // quotes (SkipProcessQuotes) and uses `\` as escape whatever the escape directive says.
  Result<void> ExpandRaw(const WordExpander& expand);
};

// ADD [--chown=U:G] [--chmod=M] [--link] [--checksum=C] [--keep-git-dir] [--unpack]
//     [--exclude=P]... src... dest
struct AddCmd {
  InstructionOrigin origin;
  SourcesAndDest files;
  std::string chown;  // empty: not given
  std::string chmod;  // empty: not given
  bool link = false;
  std::vector<std::string> exclude_patterns;  // never expanded
  std::optional<bool> keep_git_dir;           // unset: not given
  std::string checksum;                       // empty: not given
  std::optional<bool> unpack;                 // unset: by source type

  // AddCommand.Expand: chown, chmod, checksum, then the sources and destination.
  Result<void> Expand(const WordExpander& expand);
  Result<void> ExpandRaw(const WordExpander& expand) { return files.ExpandRaw(expand); }
};

// COPY [--from=S] [--chown=U:G] [--chmod=M] [--link] [--parents] [--exclude=P]... src... dest
struct CopyCmd {
  InstructionOrigin origin;
  SourcesAndDest files;
  std::string from;   // stage name, stage index or image; empty: the build context
  std::string chown;  // empty: not given
  std::string chmod;  // empty: not given
  bool link = false;
  std::vector<std::string> exclude_patterns;  // never expanded
  bool parents = false;

  // CopyCommand.Expand: chown, chmod, then the sources and destination; never `from`.
  Result<void> Expand(const WordExpander& expand);
  Result<void> ExpandRaw(const WordExpander& expand) { return files.ExpandRaw(expand); }
  // BuildKit's toCommand: `from` is not expanded, and it is an error if expanding it with
  // an empty environment (`expand_without_env`) would change it (quotes, `$X`):
  // "variable expansion is not supported for --from, define a new stage with FROM using ARG
  // from global scope as a workaround".
  Result<void> CheckFromNeedsNoExpansion(const WordExpander& expand_without_env) const;
};

// VOLUME ["/a", "/b"] | VOLUME /a /b
struct VolumeCmd {
  InstructionOrigin origin;
  std::vector<std::string> volumes;  // trimmed of whitespace, never empty strings

  Result<void> Expand(const WordExpander& expand);
};

// WORKDIR path
struct WorkdirCmd {
  InstructionOrigin origin;
  std::string path;

  Result<void> Expand(const WordExpander& expand);
};

// ---- Image configuration ---------------------------------------------------------------

// ENV key=value... | ENV key value
struct EnvCmd {
  InstructionOrigin origin;
  std::vector<KeyValue> env;  // in order; never empty

  Result<void> Expand(const WordExpander& expand);  // keys and values
};

// LABEL key=value...
struct LabelCmd {
  InstructionOrigin origin;
  std::vector<KeyValue> labels;  // in order; never empty

  Result<void> Expand(const WordExpander& expand);  // keys and values
};

// One `name[=default]` of ARG (BuildKit's KeyValuePairOptional).
struct ArgDefinition {
  std::string key;
  std::optional<std::string> value;  // unset: no default written
};

// ARG name[=default]...
struct ArgCmd {
  InstructionOrigin origin;
  std::vector<ArgDefinition> args;  // never empty

  // ArgCommand.Expand: keys and defaults. BuildKit's dispatcher does not call it (dispatch
  // skips ARG, and dispatchArg / buildMetaArgs expand only a default that no --build-arg
  // overrides); it is kept for callers that want BuildKit's method.
  Result<void> Expand(const WordExpander& expand);
};

// EXPOSE port[/proto]...
struct ExposeCmd {
  InstructionOrigin origin;
  std::vector<std::string> ports;  // as written, sorted bytewise (parseExpose sorts them)

  // dispatchExpose: each entry is expanded AND split into words (`EXPOSE $PORTS` may give
  // several), so this takes a WordsExpander. Parsing `[ip:]public:private/proto` is left to
  // the dispatcher (convert_expose.go).
  Result<void> ExpandWords(const WordsExpander& expand);
};

// USER user[:group]
struct UserCmd {
  InstructionOrigin origin;
  std::string user;

  Result<void> Expand(const WordExpander& expand);
};

// STOPSIGNAL signal
struct StopSignalCmd {
  InstructionOrigin origin;
  std::string signal;

  Result<void> Expand(const WordExpander& expand);
};

// MAINTAINER name (deprecated)
struct MaintainerCmd {
  InstructionOrigin origin;
  std::string maintainer;  // never expanded
};

// ONBUILD instruction
struct OnbuildCmd {
  InstructionOrigin origin;
  // The trigger as the image config stores it: the line after `ONBUILD ` (keyword case
  // kept), each heredoc body and terminator appended after a newline. Never expanded here.
  std::string expression;
};

// ---- Stages ----------------------------------------------------------------------------

// FROM [--platform=P] base [AS name]
struct FromCmd {
  InstructionOrigin origin;
  // Expanded by the dispatcher with the meta ARGs only, not through an Expand method
  // (buildDispatchStates), because it reports unmatched names and blank results itself.
  std::string base_name;
  std::string stage_name;  // lowercased; empty without AS
  std::string platform;    // --platform as written (expanded like base_name); empty: absent
};

using Instruction = std::variant<FromCmd, RunCmd, CmdCmd, EntrypointCmd, HealthcheckCmd, ShellCmd,
                                 AddCmd, CopyCmd, VolumeCmd, WorkdirCmd, EnvCmd, LabelCmd, ArgCmd,
                                 ExposeCmd, UserCmd, StopSignalCmd, MaintainerCmd, OnbuildCmd>;

const InstructionOrigin& OriginOf(const Instruction& instruction);

// The expansions BuildKit's dispatch applies to a command before dispatching it, all over the
// same stage environment: `word` is Lex.ProcessWord with the Dockerfile's escape, `raw` the
// same with SkipProcessQuotes and `\` as escape (heredoc bodies), `words` Lex.ProcessWords.
struct DispatchExpanders {
  WordExpander word;
  WordExpander raw;
  WordsExpander words;
};

// Expand (every instruction that has one, except ARG), then ExpandRaw (COPY and ADD), then
// EXPOSE's ExpandWords. FROM is untouched. Errors are the expanders' or a --mount's, with
// `where` set to the instruction's lines when the error has none.
Result<void> ExpandForDispatch(Instruction& instruction, const DispatchExpanders& expanders);

}  // namespace bt::frontend
