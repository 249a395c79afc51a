// ADD, COPY, VOLUME and WORKDIR: the instructions about paths (parse.go's parseAdd,
// parseCopy, parseSourcesAndDest, parseVolume and parseWorkdir).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "frontend/parser/heredoc.h"
#include "frontend/instructions/instruction_request.h"
#include "frontend/unicode.h"

namespace bt::frontend::internal {
namespace {

// parser.MustParseHeredoc: a word that parses as a heredoc, errors counting as "no".
std::optional<Heredoc> HeredocWord(std::string_view word) {
  Result<std::optional<Heredoc>> parsed = ParseHeredocWord(word);
  if (!parsed) return std::nullopt;
  return *parsed;
}

// parser.ChompHeredocContent: `(?m)^\t+` removed, i.e. the leading tabs of every line.
std::string ChompLeadingTabs(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && c == '\t') continue;
    line_start = c == '\n';
    out.push_back(c);
  }
  return out;
}

// parseSourcesAndDest. Every source word that looks like a heredoc is one, even in JSON form
// or when the parser read no body for it: its content is then empty, as in BuildKit.
Result<SourcesAndDest> SourcesAndDestination(const InstructionRequest& req,
                                             std::string_view command) {
  SourcesAndDest out;
  out.dest_path = req.args.back();
  if (HeredocWord(out.dest_path)) {
    return InvalidInstruction(std::string(command) + " cannot accept a heredoc as a destination");
  }
  std::map<std::string, std::string> bodies;  // by name; a later heredoc of the same name wins
  for (const Heredoc& heredoc : req.heredocs) bodies[heredoc.name] = heredoc.content;

  for (std::size_t i = 0; i + 1 < req.args.size(); ++i) {
    const std::string& source = req.args[i];
    std::optional<Heredoc> heredoc = HeredocWord(source);
    if (!heredoc) {
      out.source_paths.push_back(source);
      continue;
    }
    std::string content = bodies[heredoc->name];
    if (heredoc->chomp) content = ChompLeadingTabs(content);
    out.source_contents.push_back(
        SourceContent{heredoc->name, std::move(content), heredoc->expand});
  }
  return out;
}

// A bool flag that is unset unless written (parseAdd's Unpack and KeepGitDir).
std::optional<bool> TriState(const InstructionFlags::Flag& flag) {
  if (!flag.is_used()) return std::nullopt;
  return flag.is_true();
}

}  // namespace

Result<Instruction> BuildAdd(InstructionRequest& req) {
  if (req.args.size() < 2) return NoDestinationArgument("ADD");
  const InstructionFlags::Flag& chown = req.flags.AddString("chown");
  const InstructionFlags::Flag& chmod = req.flags.AddString("chmod");
  const InstructionFlags::Flag& link = req.flags.AddBool("link");
  const InstructionFlags::Flag& keep_git_dir = req.flags.AddBool("keep-git-dir");
  const InstructionFlags::Flag& checksum = req.flags.AddString("checksum");
  const InstructionFlags::Flag& unpack = req.flags.AddBool("unpack");
  const InstructionFlags::Flag& exclude = req.flags.AddStrings("exclude");
  BT_TRY(req.flags.Parse());

  AddCmd add;
  add.origin = req.origin;
  BT_ASSIGN_OR_RETURN(add.files, SourcesAndDestination(req, "ADD"));
  add.chown = chown.value();
  add.chmod = chmod.value();
  add.link = link.is_true();
  add.keep_git_dir = TriState(keep_git_dir);
  add.checksum = checksum.value();
  add.exclude_patterns = exclude.values();
  add.unpack = TriState(unpack);
  return Instruction(std::move(add));
}

Result<Instruction> BuildCopy(InstructionRequest& req) {
  if (req.args.size() < 2) return NoDestinationArgument("COPY");
  const InstructionFlags::Flag& chown = req.flags.AddString("chown");
  const InstructionFlags::Flag& from = req.flags.AddString("from");
  const InstructionFlags::Flag& chmod = req.flags.AddString("chmod");
  const InstructionFlags::Flag& link = req.flags.AddBool("link");
  const InstructionFlags::Flag& exclude = req.flags.AddStrings("exclude");
  const InstructionFlags::Flag& parents = req.flags.AddBool("parents");
  BT_TRY(req.flags.Parse());

  CopyCmd copy;
  copy.origin = req.origin;
  BT_ASSIGN_OR_RETURN(copy.files, SourcesAndDestination(req, "COPY"));
  copy.from = from.value();
  copy.chown = chown.value();
  copy.chmod = chmod.value();
  copy.link = link.is_true();
  copy.parents = parents.is_true();
  copy.exclude_patterns = exclude.values();
  return Instruction(std::move(copy));
}

Result<Instruction> BuildVolume(InstructionRequest& req) {
  if (req.args.empty()) return AtLeastOneArgument("VOLUME");
  BT_TRY(req.flags.Parse());
  VolumeCmd volume;
  volume.origin = req.origin;
  for (const std::string& arg : req.args) {
    const std::string_view trimmed = unicode::TrimSpace(arg);
    if (trimmed.empty()) return InvalidInstruction("VOLUME specified can not be an empty string");
    volume.volumes.emplace_back(trimmed);
  }
  return Instruction(std::move(volume));
}

Result<Instruction> BuildWorkdir(InstructionRequest& req) {
  if (req.args.size() != 1) return ExactlyOneArgument("WORKDIR");
  BT_TRY(req.flags.Parse());
  return Instruction(WorkdirCmd{req.origin, req.args[0]});
}

}  // namespace bt::frontend::internal
