// COPY and ADD to FileOp copy actions, as BuildKit's dispatchCopy does for both
// (dockerfile2llb/convert_copy.go): local paths from the build context or another stage, git
// repositories and URLs (ADD only), heredoc files, --chown/--chmod, --parents, --exclude, and
// --link as a MergeOp of the stage and a copy made on scratch.
#include <optional>
#include <string>

#include "frontend/lowering/chown_spec.h"
#include "frontend/lowering/container_path.h"
#include "frontend/lowering/git_ref.h"
#include "frontend/lowering/stage_dispatcher.h"

namespace bt::frontend {
namespace {

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// Go's url.unescape for a path: %XX becomes its byte; a '%' not followed by two hex digits
// makes url.Parse fail (nullopt).
std::optional<std::string> PercentDecode(std::string_view s) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool IsHttpUrl(std::string_view s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

// ParseGitRef's verdict as dispatchCopy uses it: a git repository unless it reads like a
// local path (github.com/x without a scheme); an invalid git source is an error.
Result<std::optional<GitRef>> GitSourceOf(std::string_view src) {
  GitRefParse parsed = ParseGitRef(src);
  if (parsed.error && parsed.ref) return *parsed.error;
  if (parsed.error || !parsed.ref || parsed.ref->indistinguishable_from_local) {
    return std::optional<GitRef>();
  }
  return std::optional<GitRef>(std::move(*parsed.ref));
}

struct Chmod {
  std::optional<std::uint32_t> mode;
  std::string expression;  // symbolic form, checked by the executor's mode parser
};

// dispatchCopy's --chmod: an octal number up to 07777, else a symbolic mode.
Result<Chmod> ParseChmod(const std::string& chmod) {
  Chmod out;
  if (chmod.empty()) return out;
  const Error non_octal = Invalid("invalid chmod parameter: '" + chmod +
                                  "'. it should be octal string and between 0 and 07777");
  bool digits = true;
  for (char ch : chmod) digits = digits && ch >= '0' && ch <= '9';
  if (digits) {
    std::uint64_t mode = 0;
    for (char ch : chmod) {
      if (ch > '7' || mode > 07777) return non_octal;
      mode = mode * 8 + static_cast<std::uint64_t>(ch - '0');
    }
    if (mode > 07777) return non_octal;
    out.mode = static_cast<std::uint32_t>(mode);
    return out;
  }
  // moby/sys/symlink mode.Parse grammar: [ugoa]*[+-=][rwxXst]* clauses separated by commas.
  std::size_t i = 0;
  while (i < chmod.size()) {
    while (i < chmod.size() && std::string_view("ugoa").find(chmod[i]) != std::string_view::npos) ++i;
    if (i >= chmod.size() || std::string_view("+-=").find(chmod[i]) == std::string_view::npos) {
      return Invalid("invalid chmod parameter: '" + chmod + "'");
    }
    while (i < chmod.size() && std::string_view("+-=").find(chmod[i]) != std::string_view::npos) {
      ++i;
      while (i < chmod.size() && std::string_view("rwxXst").find(chmod[i]) != std::string_view::npos) ++i;
    }
    if (i < chmod.size()) {
      if (chmod[i] != ',') return Invalid("invalid chmod parameter: '" + chmod + "'");
      ++i;
    }
  }
  out.expression = chmod;
  return out;
}

}  // namespace

struct StageDispatcher::CopyRequest {
  bool is_add = false;
  const InstructionOrigin* origin = nullptr;
  const SourcesAndDest* files = nullptr;
  const std::vector<std::string>* exclude_patterns = nullptr;
  std::optional<ir::Edge> from;  // the stage or image read; absent: the build context
  bool from_context = true;
  std::string chown;
  std::string chmod;
  bool link = false;
  bool parents = false;
  std::optional<bool> keep_git_dir;
  std::optional<bool> unpack;
  std::string checksum;
};

Result<void> StageDispatcher::DispatchCopy(std::size_t index, StageState& s, const CopyCmd& c,
                                           std::vector<StageState>& stages) {
  CopyRequest r;
  r.origin = &c.origin;
  r.files = &c.files;
  r.exclude_patterns = &c.exclude_patterns;
  r.chown = c.chown;
  r.chmod = c.chmod;
  r.link = c.link;
  r.parents = c.parents;
  if (!c.from.empty()) {
    BT_ASSIGN_OR_RETURN(std::optional<std::size_t> stage, StageFor(c.from));
    if (!stage || !stages[*stage].dispatched) {
      return Invalid("cannot copy from stage \"" + c.from + "\", it needs to be defined before " +
                     "current stage \"" + plan_.stages[index].display_name + "\"");
    }
    r.from = stages[*stage].rootfs;
    r.from_context = false;
  }
  return LowerCopy(index, s, r);
}

Result<void> StageDispatcher::DispatchAdd(std::size_t index, StageState& s, const AddCmd& c) {
  CopyRequest r;
  r.is_add = true;
  r.origin = &c.origin;
  r.files = &c.files;
  r.exclude_patterns = &c.exclude_patterns;
  r.chown = c.chown;
  r.chmod = c.chmod;
  r.link = c.link;
  r.keep_git_dir = c.keep_git_dir;
  r.unpack = c.unpack;
  r.checksum = c.checksum;
  return LowerCopy(index, s, r);
}

Result<void> StageDispatcher::LowerCopy(std::size_t index, StageState& s, const CopyRequest& r) {
  const SourcesAndDest& files = *r.files;
  // pathRelativeToWorkingDir: "" and "." mean the working directory itself, as a directory.
  std::string dest_path = files.dest_path;
  if (dest_path.empty() || dest_path == ".") dest_path = "./";
  const std::string dest = NormalizePath(s.workdir, dest_path, TrailingSlash::kKeep);
  BT_ASSIGN_OR_RETURN(Chmod chmod, ParseChmod(r.chmod));
  if (!r.checksum.empty()) {
    if (!r.is_add) return Invalid("checksum can't be specified for COPY");
    if (files.source_paths.size() != 1) {
      return Invalid("checksum can't be specified for multiple sources");
    }
    BT_ASSIGN_OR_RETURN(std::optional<GitRef> git, GitSourceOf(files.source_paths[0]));
    if (!IsHttpUrl(files.source_paths[0]) && !git) {
      return Invalid("checksum requires HTTP(S) or Git sources");
    }
  }

  ir::Op op;
  ir::FileOp file;
  // With --link (and no --chmod) the copy is made on scratch and merged onto the stage.
  const bool merge = r.link && r.chmod.empty();
  if (s.rootfs && !merge) {
    op.inputs.push_back(*s.rootfs);
    file.base = 0;
  }
  // Each distinct input once: several sources from the context share one input.
  const auto add_input = [&op](ir::Edge edge) {
    for (std::size_t i = 0; i < op.inputs.size(); ++i) {
      if (op.inputs[i] == edge) return static_cast<ir::InputIndex>(i);
    }
    op.inputs.push_back(edge);
    return static_cast<ir::InputIndex>(op.inputs.size() - 1);
  };
  const auto base_copy = [&]() {
    ir::CopyAction copy;
    copy.dest = dest;
    copy.owner = ParseChown(r.chown);
    copy.mode = chmod.mode;
    copy.mode_expression = chmod.expression;
    copy.create_dest_path = true;
    copy.exclude_patterns = *r.exclude_patterns;
    return copy;
  };
  std::string history = r.is_add ? "ADD" : "COPY";
  if (r.parents) history += " --parents";
  if (!r.chown.empty()) history += " --chown=" + r.chown;
  if (!r.chmod.empty()) history += " --chmod=" + r.chmod;

  for (const std::string& raw_src : files.source_paths) {
    history += " " + raw_src;
    BT_ASSIGN_OR_RETURN(std::optional<GitRef> git, GitSourceOf(raw_src));
    ir::CopyAction copy = base_copy();
    if (git) {
      if (!r.is_add) return Invalid("source can't be a git ref for COPY");
      if (r.keep_git_dir && git->keep_git_dir && *r.keep_git_dir != *git->keep_git_dir) {
        return Invalid("inconsistent keep-git-dir configuration");
      }
      if (!r.checksum.empty() && !git->checksum.empty() && r.checksum != git->checksum) {
        return Invalid("checksum mismatch \"" + r.checksum + "\" != \"" + git->checksum + "\"");
      }
      ir::GitSource source;
      source.remote = git->remote;
      source.ref = git->ref;
      source.subdir = git->subdir;
      source.keep_git_dir = git->keep_git_dir.value_or(r.keep_git_dir.value_or(false));
      source.checksum = git->checksum.empty() ? r.checksum : git->checksum;
      ir::Op src_op;
      src_op.body = ir::SourceOp{source};
      src_op.platform = s.platform;
      copy.source = add_input(AddOp(std::move(src_op), StepName(index, *r.origin), r.origin));
      copy.src = "/";
    } else if (IsHttpUrl(raw_src)) {
      if (!r.is_add) return Invalid("source can't be a URL for COPY");
      ir::HttpSource http;
      http.url = raw_src;
      if (!r.checksum.empty()) {
        BT_ASSIGN_OR_RETURN(http.checksum, oci::Digest::Parse(r.checksum));
      }
      // url.Parse + path.Base of the URL's (decoded) path; "__unnamed__" when it has no file
      // name or the URL does not parse (a bad %-escape).
      std::string path = raw_src.substr(raw_src.find("://") + 3);
      const std::size_t slash = path.find('/');
      path = slash == std::string::npos ? "" : path.substr(slash);
      path = path.substr(0, path.find_first_of("?#"));
      const std::optional<std::string> decoded = PercentDecode(path);
      const std::string base = !decoded || decoded->empty() ? "" : CleanPath(*decoded);
      const std::string name = base.substr(base.rfind('/') + 1);
      http.filename = name.empty() || name == "." ? "__unnamed__" : name;
      ir::Op src_op;
      src_op.body = ir::SourceOp{http};
      src_op.platform = s.platform;
      copy.source = add_input(AddOp(std::move(src_op), StepName(index, *r.origin), r.origin));
      copy.src = http.filename;
      copy.unpack_archive = r.unpack.value_or(false);  // remote archives are not unpacked
    } else {
      std::string src = raw_src;
      if (r.parents) {
        // --parents: an optional "/./" pivot; the part after it is kept under dest.
        std::string pattern = src;
        const std::size_t pivot = src.find("/./");
        if (pivot == std::string::npos) {
          src = "/";
        } else {
          pattern = src.substr(pivot + 3);
          src = src.substr(0, pivot);
        }
        pattern = NormalizePath("/", pattern, TrailingSlash::kDrop);
        copy.include_patterns = {pattern.substr(1)};
        copy.parents = true;
      }
      copy.src = NormalizePath("/", src, TrailingSlash::kDrop);
      copy.follow_symlinks = true;
      copy.copy_dir_contents = true;
      copy.unpack_archive = r.unpack.value_or(r.is_add);
      copy.allow_wildcard = true;
      copy.allow_empty_wildcard = true;
      if (r.from_context) {
        context_paths_.insert(JoinPath("/", raw_src));
        copy.source = add_input(ContextSource());
      } else if (r.from) {
        copy.source = add_input(*r.from);
      }
    }
    file.actions.push_back(std::move(copy));
  }
  for (const SourceContent& content : files.source_contents) {
    history += " <<" + content.path;
    // A heredoc is written into a scratch tree, then copied like any file.
    ir::MkfileAction mkfile;
    mkfile.path = "/" + content.path;
    mkfile.mode = 0644;
    mkfile.data = content.data;
    ir::FileOp inline_tree;
    inline_tree.actions.push_back(std::move(mkfile));
    ir::Op inline_op;
    inline_op.body = std::move(inline_tree);
    inline_op.platform = s.platform;
    ir::CopyAction copy = base_copy();
    copy.source = add_input(AddOp(std::move(inline_op), "preparing inline document", r.origin));
    copy.src = content.path;
    file.actions.push_back(std::move(copy));
  }
  history += " " + files.dest_path;

  op.body = std::move(file);
  op.platform = s.platform;
  ir::Edge result = AddOp(std::move(op), StepName(index, *r.origin), r.origin);
  if (merge) {
    ir::Op merge_op;
    if (s.rootfs) merge_op.inputs.push_back(*s.rootfs);
    merge_op.inputs.push_back(result);
    merge_op.body = ir::MergeOp{};
    merge_op.platform = s.platform;
    result = AddOp(std::move(merge_op), "LINK " + StepName(index, *r.origin), r.origin);
  }
  s.rootfs = result;
  AddHistory(s.image, std::move(history) + " # buildkit", HistoryLayer::kLayer);
  return {};
}

}  // namespace bt::frontend
