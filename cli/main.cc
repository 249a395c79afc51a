// buildtool's entry point: the command table and exit codes. Each command lives in its own
// file and returns an exit code; only cli/ writes to stderr.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/build_command.h"
#include "cli/image_commands.h"
#include "cli/debug_command.h"
#include "cli/du_command.h"
#include "cli/prune_command.h"

namespace {

// Exit codes: 0 success, 1 the command failed (bad input, failed build), 2 bad usage.
constexpr int kExitUsage = 2;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"buildtool: a daemonless container image builder"};
  app.require_subcommand(1);

  bt::cli::BuildCommandFlags build_flags;
  CLI::App* build = app.add_subcommand("build", "Build a Dockerfile");
  build->add_option("context", build_flags.build.context, "The build context directory")->required();
  build->add_option("-f,--file", build_flags.build.dockerfile, "The Dockerfile (default: CONTEXT/Dockerfile)");
  build->add_option("--build-arg", build_flags.build.build_args, "NAME=VALUE, or NAME to take it from the environment");
  build->add_option("--target", build_flags.build.target, "The stage to build");
  build->add_option("--platform", build_flags.build.platform, "The target platform (os/arch[/variant])");
  build->add_option("--build-context", build_flags.build.build_contexts, "NAME=DIR: FROM NAME (and --from=NAME) read this directory");
  build->add_option("-t,--tag", build_flags.tags, "Name the image NAME[:TAG]");
  build->add_option("-o,--output", build_flags.outputs, "type=local,dest=DIR | type=tar,dest=FILE|- | PATH");
  build->add_option("--progress", build_flags.progress, "auto, tty, plain, quiet or rawjson");
  build->add_option("--label", build_flags.labels, "KEY=VALUE: a label on the image");
  build->add_flag("-q,--quiet", build_flags.quiet, "No progress; print the image digest only");
  build->add_option("--iidfile", build_flags.iidfile, "Write the image digest to this file");
  build->add_option("--metadata-file", build_flags.metadata_file, "Write the build result (digest, names, descriptor) as JSON");
  build->add_flag("--pull", build_flags.pull, "Pull base images from their registry even when stored");
  build->add_flag("--push", build_flags.push, "Push the image to the registries of its -t names");
  build->add_option("--insecure-registry", build_flags.insecure_registries, "HOST[:PORT]: a registry that may speak plain HTTP or unverified TLS, and get the login that way")
      ->allow_extra_args(false);  // one value each time, or it swallows the NAME after it
  build->add_flag("--no-cache", build_flags.no_cache, "Run every step, using no cached result");
  build->add_option("--no-cache-filter", build_flags.no_cache_filter, "Run the steps of these stages again");
  build->add_option("-j,--jobs", build_flags.jobs, "Steps that run at once (default: 16, or twice the CPUs if more)");
  build->add_option("--root", build_flags.root, "The cache root (default: $BUILDTOOL_ROOT, /var/lib/buildtool)");
  build->add_option("--secret", build_flags.run.secrets, "id=ID[,src=FILE|,env=VAR]: a secret for RUN --mount=type=secret");
  build->add_option("--ssh", build_flags.run.ssh, "ID[=SOCKET]: an ssh agent for RUN --mount=type=ssh (default: $SSH_AUTH_SOCK)");
  build->add_option("--allow", build_flags.run.allow, "Grant an entitlement: network.host, security.insecure");
  build->add_option("--network", build_flags.run.network, "The network of RUN steps: default, none or host");
  build->add_option("--add-host", build_flags.run.add_hosts, "HOST:IP: an /etc/hosts entry for RUN steps");
  build->add_option("--runtime", build_flags.run.runtime, "The OCI runtime: buildtool-runtime (default), crun, runc or a path");
  build->add_option("--snapshotter", build_flags.snapshotter, "auto, overlayfs or copy")
      ->check(CLI::IsMember({"auto", "overlayfs", "copy"}));

  CLI::App* debug = app.add_subcommand("debug", "Show the intermediate forms of a build");
  debug->require_subcommand(1);
  std::string ast_path;
  CLI::App* ast = debug->add_subcommand("ast", "Print the Dockerfile syntax tree (BuildKit's dump)");
  ast->add_option("file", ast_path, "The Dockerfile, or - for standard input")->required();

  bt::cli::BuildFlags ir_flags;
  std::string ir_format = "json";
  CLI::App* ir = debug->add_subcommand("ir", "Print the build graph (IR) of a Dockerfile");
  ir->add_option("context", ir_flags.context, "The build context directory")->required();
  ir->add_option("-f,--file", ir_flags.dockerfile, "The Dockerfile (default: CONTEXT/Dockerfile)");
  ir->add_option("--build-arg", ir_flags.build_args, "NAME=VALUE, or NAME to take it from the environment");
  ir->add_option("--target", ir_flags.target, "The stage to build");
  ir->add_option("--platform", ir_flags.platform, "The target platform (os/arch[/variant])");
  ir->add_option("--build-context", ir_flags.build_contexts, "NAME=DIR: FROM NAME (and --from=NAME) read this directory");
  ir->add_option("--format", ir_format, "json or dot")->check(CLI::IsMember({"json", "dot"}));

  std::string du_root;
  bool du_verbose = false;
  CLI::App* du = app.add_subcommand("du", "Show the cache's disk usage");
  du->add_option("--root", du_root, "The cache root (default: $BUILDTOOL_ROOT, /var/lib/buildtool)");
  du->add_flag("-v,--verbose", du_verbose, "Show every record's key and snapshots");
  bool du_check = false, du_repair = false;
  du->add_flag("--check", du_check, "Check the root for damage (re-hashes every blob)");
  du->add_flag("--repair", du_repair, "With --check: drop whatever cannot be trusted");

  bt::cli::PruneFlags prune_flags;
  CLI::App* prune = app.add_subcommand("prune", "Free cache space, least recently used first");
  prune->add_option("--root", prune_flags.root, "The cache root");
  prune->add_option("--keep-storage", prune_flags.keep_storage, "Keep this much (e.g. 10GB)");
  prune->add_option("--filter", prune_flags.filters, "until=DURATION: only records unused that long");
  prune->add_flag("-a,--all", prune_flags.all, "Every unleased record is a candidate (the default)");
  prune->add_flag("-f,--force", prune_flags.force, "Do not ask (buildtool never asks)");

  bt::cli::ImageCommandFlags image_flags;
  auto with_root = [&](CLI::App* cmd) {
    cmd->add_option("--root", image_flags.root, "The cache root (default: $BUILDTOOL_ROOT, /var/lib/buildtool)");
    return cmd;
  };
  CLI::App* images = with_root(app.add_subcommand("images", "List the images of the local store"));
  images->add_flag("-q,--quiet", image_flags.quiet, "Only the digests");
  CLI::App* tag = with_root(app.add_subcommand("tag", "Give a stored image another name"));
  tag->add_option("names", image_flags.names, "SOURCE TARGET")->expected(2)->required();
  CLI::App* rmi = with_root(app.add_subcommand("rmi", "Remove names from the local store"));
  rmi->add_option("names", image_flags.names, "NAME...")->required();
  CLI::App* inspect = with_root(app.add_subcommand("inspect", "Print a stored image's manifest and config"));
  inspect->add_option("name", image_flags.names, "NAME")->required();
  CLI::App* save = with_root(app.add_subcommand("save", "Write stored images to an archive"));
  save->add_option("names", image_flags.names, "NAME...")->required();
  save->add_option("-o,--output", image_flags.file, "The archive (default: standard output)");
  save->add_option("--format", image_flags.format, "oci (an OCI layout tar) or docker (docker load reads it)")
      ->check(CLI::IsMember({"oci", "docker"}));
  CLI::App* load = with_root(app.add_subcommand("load", "Add images from an archive (docker save or OCI layout)"));
  load->add_option("-i,--input", image_flags.file, "The archive or OCI layout directory (default: standard input)");
  CLI::App* pull = with_root(app.add_subcommand("pull", "Pull an image from its registry into the local store"));
  pull->add_option("name", image_flags.names, "NAME[:TAG|@DIGEST]")->required();
  pull->add_option("--platform", image_flags.platform, "The platform to pull (default: linux/amd64)");
  pull->add_option("--insecure-registry", image_flags.insecure_registries, "HOST[:PORT]: a registry that may speak plain HTTP or unverified TLS, and get the login that way")
      ->allow_extra_args(false);  // one value each time, or it swallows the NAME after it
  CLI::App* push = with_root(app.add_subcommand("push", "Push a stored image to its registry"));
  push->add_option("name", image_flags.names, "NAME:TAG")->required();
  push->add_option("--insecure-registry", image_flags.insecure_registries, "HOST[:PORT]: a registry that may speak plain HTTP or unverified TLS, and get the login that way")
      ->allow_extra_args(false);  // one value each time, or it swallows the NAME after it
  CLI::App* login = app.add_subcommand("login", "Log in to a registry (stored where docker keeps logins)");
  login->add_option("host", image_flags.names, "HOST[:PORT]")->required();
  login->add_option("-u,--username", image_flags.username, "The user")->required();
  login->add_option("-p,--password", image_flags.password, "The password (prefer --password-stdin)");
  login->add_flag("--password-stdin", image_flags.password_stdin, "Read the password from standard input");
  login->add_option("--insecure-registry", image_flags.insecure_registries, "HOST[:PORT]: a registry that may speak plain HTTP or unverified TLS, and get the login that way")
      ->allow_extra_args(false);  // one value each time, or it swallows the NAME after it
  CLI::App* logout = app.add_subcommand("logout", "Forget the login of a registry");
  logout->add_option("host", image_flags.names, "HOST[:PORT]")->required();
  CLI::App* import = with_root(app.add_subcommand("import", "Make a one-layer image from a root filesystem tar"));
  import->add_option("file", image_flags.file, "The tar, or - for standard input")->required();
  import->add_option("name", image_flags.names, "NAME[:TAG]");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  if (build->parsed()) return bt::cli::RunBuild(build_flags);
  if (images->parsed()) return bt::cli::RunImages(image_flags);
  if (tag->parsed()) return bt::cli::RunTag(image_flags);
  if (rmi->parsed()) return bt::cli::RunRmi(image_flags);
  if (inspect->parsed()) return bt::cli::RunInspect(image_flags);
  if (save->parsed()) return bt::cli::RunSave(image_flags);
  if (load->parsed()) return bt::cli::RunLoad(image_flags);
  if (import->parsed()) return bt::cli::RunImport(image_flags);
  if (pull->parsed()) return bt::cli::RunPull(image_flags);
  if (push->parsed()) return bt::cli::RunPush(image_flags);
  if (login->parsed()) return bt::cli::RunLogin(image_flags);
  if (logout->parsed()) return bt::cli::RunLogout(image_flags);
  if (ast->parsed()) return bt::cli::RunDebugAst(ast_path);
  if (prune->parsed()) return bt::cli::RunPrune(prune_flags);
  if (du->parsed() && (du_check || du_repair)) {
    return bt::cli::RunDuCheck(du_root, du_repair ? bt::cli::DuCheck::kRepair
                                                  : bt::cli::DuCheck::kReport);
  }
  if (du->parsed()) {
    return bt::cli::RunDu(du_root, du_verbose ? bt::cli::DuDetail::kVerbose
                                              : bt::cli::DuDetail::kSummary);
  }
  if (ir->parsed()) {
    return bt::cli::RunDebugIr(ir_flags, ir_format == "dot" ? bt::cli::IrFormat::kDot
                                                           : bt::cli::IrFormat::kJson);
  }
  return kExitUsage;
}
