#include "cli/debug_command.h"

#include <cstdio>

#include "cli/cache_root_path.h"
#include "cli/error_report.h"
#include "exporter/store_resolver.h"
#include "cli/source_file.h"
#include "frontend/dockerfile_parser.h"
#include "frontend/dockerfile_to_ir.h"
#include "solver/ir_print.h"

namespace bt::cli {
namespace {

// Answers from the local image store ($BUILDTOOL_ROOT or the default root) when it has the
// image, else with an empty linux config and no manifest digest (there is no registry client
// yet); RunDebugIr tells the user which images were stood in for.
class UnresolvedImages : public oci::ImageResolver {
 public:
  UnresolvedImages() : store_(CacheRootPath("")) {}

  Result<oci::ResolvedImage> Resolve(const oci::Reference& ref,
                                     const oci::Platform& platform) override {
    if (Result<oci::ResolvedImage> stored = store_.Resolve(ref, platform); stored) return stored;
    oci::ResolvedImage image;
    image.reference = ref;
    image.config.platform = platform;
    image.config.diff_ids.push_back(oci::Digest::Of(ref.ToString()));  // stands for its layers
    names_.push_back(ref.ToString());
    return image;
  }
  const std::vector<std::string>& names() const { return names_; }

 private:
  exporter::StoreImageResolver store_;
  std::vector<std::string> names_;
};

}  // namespace

int RunDebugAst(const std::string& path) {
  Result<std::string> text = ReadSourceFile(path);
  if (!text) {
    std::fputs(FormatError(text.error(), "").c_str(), stderr);
    return 1;
  }
  frontend::ParseOptions options;
  options.file_name = path == "-" ? "<stdin>" : path;
  Result<frontend::Ast> ast = frontend::ParseDockerfile(*text, options);
  if (!ast) {
    std::fputs(FormatError(ast.error(), *text).c_str(), stderr);
    return 1;
  }
  for (const frontend::Warning& w : ast->warnings) {
    std::fprintf(stderr, "%s:%d: warning: %s\n", options.file_name.c_str(), w.line,
                 w.message.c_str());
  }
  const std::string dump = ast->Dump();
  std::fwrite(dump.data(), 1, dump.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

}  // namespace bt::cli

namespace bt::cli {

int RunDebugIr(const BuildFlags& flags, IrFormat format) {
  const std::string path = DockerfilePath(flags);
  Result<std::string> text = ReadSourceFile(path);
  if (!text) {
    std::fputs(FormatError(text.error(), "").c_str(), stderr);
    return 1;
  }
  Result<frontend::LowerOptions> options = ToLowerOptions(flags);
  if (!options) {
    std::fputs(FormatError(options.error(), "").c_str(), stderr);
    return 1;
  }
  Result<frontend::Ast> ast = frontend::ParseDockerfile(*text, frontend::ParseOptions{path});
  if (!ast) {
    std::fputs(FormatError(ast.error(), *text).c_str(), stderr);
    return 1;
  }
  UnresolvedImages resolver;
  Result<frontend::LoweredBuild> lowered = frontend::LowerDockerfile(*ast, *options, resolver);
  if (!lowered) {
    std::fputs(FormatError(lowered.error(), *text).c_str(), stderr);
    return 1;
  }
  for (const std::string& name : resolver.names()) {
    std::fprintf(stderr, "note: base image %s is not resolved (no image store yet): empty config assumed\n",
                 name.c_str());
  }
  for (const frontend::Warning& w : lowered->warnings) {
    std::fprintf(stderr, "warning: %s\n", w.message.c_str());
  }
  const std::string out = format == IrFormat::kDot ? ir::GraphToDot(lowered->definition)
                                                   : ir::GraphToJson(lowered->definition);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace bt::cli
