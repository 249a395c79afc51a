#include "solver/ir.h"

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "solver/ir_encoding.h"

namespace bt::ir {
namespace {

oci::Platform LinuxAmd64() { return oci::Platform{"linux", "amd64", ""}; }

Op Image(std::string reference) {
  Op op;
  op.body = SourceOp{ImageSource{std::move(reference), {}, LinuxAmd64(), ResolveMode::kDefault}};
  op.platform = LinuxAmd64();
  return op;
}

Op Context() {
  Op op;
  op.body = SourceOp{LocalSource{"context", {"src/"}, {".git"}, {}}};
  return op;
}

// `RUN make` on the image, reading the context, with a cache mount and a second output.
Op Exec(VertexId rootfs, VertexId context) {
  ExecOp exec;
  exec.args = {"/bin/sh", "-c", "make"};
  exec.env = {{"PATH", "/usr/bin:/bin"}, {"CC", "gcc"}};
  exec.cwd = "/src";
  exec.mounts.push_back(Mount{"/", BindMount{0, "", false}, 0});
  exec.mounts.push_back(Mount{"/src", BindMount{1, "src", true}, std::nullopt});
  exec.mounts.push_back(Mount{"/out", BindMount{kScratch, "", false}, 1});
  exec.mounts.push_back(Mount{"/root/.cache", CacheMount{}, std::nullopt});
  Op op;
  op.inputs = {Edge{rootfs, 0}, Edge{context, 0}};
  op.body = std::move(exec);
  op.platform = LinuxAmd64();
  return op;
}

Op Copy(VertexId base, VertexId source) {
  CopyAction copy;
  copy.source = 1;
  copy.src = "/app";
  copy.dest = "/usr/local/bin/app";
  Op op;
  op.inputs = {Edge{base, 0}, Edge{source, 0}};
  op.body = FileOp{0, {copy}};
  op.platform = LinuxAmd64();
  return op;
}

TEST_CASE("identical ops from different stages merge into one vertex", "[solver][ir]") {
  Graph graph;
  const VertexId image = graph.Add(Image("docker.io/library/alpine:3.19"));
  const VertexId context = graph.Add(Context());
  const VertexId exec = graph.Add(Exec(image, context));
  REQUIRE(graph.size() == 3);

  // A second stage lowers the same FROM and RUN again.
  CHECK(graph.Add(Image("docker.io/library/alpine:3.19")) == image);
  CHECK(graph.Add(Context()) == context);
  CHECK(graph.Add(Exec(image, context)) == exec);
  CHECK(graph.size() == 3);
  CHECK(graph.digest(exec) == DigestOp(Exec(image, context), graph));
}

TEST_CASE("Find returns the vertex of a digest and nothing for an unknown one", "[solver][ir]") {
  Graph graph;
  const VertexId image = graph.Add(Image("docker.io/library/alpine:3.19"));
  CHECK(graph.Find(graph.digest(image)) == image);
  CHECK_FALSE(graph.Find(oci::Digest::Of("not an op")).has_value());
  CHECK_FALSE(graph.Find(oci::Digest()).has_value());
}

TEST_CASE("an op's digest changes when an input's digest changes", "[solver][ir]") {
  Graph alpine;
  const VertexId a_image = alpine.Add(Image("docker.io/library/alpine:3.19"));
  const VertexId a_context = alpine.Add(Context());
  const VertexId a_exec = alpine.Add(Exec(a_image, a_context));

  Graph debian;
  const VertexId d_image = debian.Add(Image("docker.io/library/debian:12"));
  const VertexId d_context = debian.Add(Context());
  const VertexId d_exec = debian.Add(Exec(d_image, d_context));

  // Same ids, same exec fields: only the input digest differs.
  REQUIRE(a_exec == d_exec);
  CHECK(alpine.digest(a_exec) != debian.digest(d_exec));
  CHECK(alpine.digest(a_context) == debian.digest(d_context));

  // Transitively: a copy from the exec differs too.
  const VertexId a_copy = alpine.Add(Copy(a_image, a_exec));
  const VertexId d_copy = debian.Add(Copy(d_image, d_exec));
  CHECK(alpine.digest(a_copy) != debian.digest(d_copy));
}

TEST_CASE("the same ops added in another order get the same digests", "[solver][ir]") {
  Graph forward;
  const VertexId f_image = forward.Add(Image("docker.io/library/alpine:3.19"));
  const VertexId f_context = forward.Add(Context());
  const VertexId f_exec = forward.Add(Exec(f_image, f_context));

  Graph backward;
  const VertexId b_context = backward.Add(Context());
  const VertexId b_image = backward.Add(Image("docker.io/library/alpine:3.19"));
  const VertexId b_exec = backward.Add(Exec(b_image, b_context));

  REQUIRE(f_image != b_image);
  CHECK(forward.digest(f_exec) == backward.digest(b_exec));
}

TEST_CASE("vertices stay topologically ordered", "[solver][ir]") {
  Graph graph;
  const VertexId image = graph.Add(Image("docker.io/library/alpine:3.19"));
  const VertexId context = graph.Add(Context());
  const VertexId exec = graph.Add(Exec(image, context));
  const VertexId copy = graph.Add(Copy(image, exec));
  Op merge;
  merge.inputs = {Edge{copy, 0}, Edge{exec, 1}, Edge{image, 0}};
  merge.body = MergeOp{};
  const VertexId merged = graph.Add(merge);
  // Re-adding an early op returns its early id rather than appending it.
  CHECK(graph.Add(Image("docker.io/library/alpine:3.19")) == image);
  CHECK(merged == graph.size() - 1);

  for (VertexId id = 0; id < graph.size(); ++id) {
    for (const Edge& e : graph.op(id).inputs) {
      INFO("vertex " << id << " input " << e.vertex);
      CHECK(e.vertex < id);
    }
  }
}

// ---- Every field takes part in the digest ----

// One op per line: the first is the base, each other line changes one thing.
struct Variant {
  std::string name;
  Op op;
};

template <typename Body>
Op With(Op op, const std::function<void(Body&)>& change) {
  change(std::get<Body>(op.body));
  return op;
}

Op WithOp(Op op, const std::function<void(Op&)>& change) {
  change(op);
  return op;
}

template <typename Source>
Op WithSource(Op op, const std::function<void(Source&)>& change) {
  change(std::get<Source>(std::get<SourceOp>(op.body).source));
  return op;
}

template <typename Kind>
Op WithMount(Op op, std::size_t index, const std::function<void(Kind&)>& change) {
  change(std::get<Kind>(std::get<ExecOp>(op.body).mounts[index].kind));
  return op;
}

template <typename Action>
Op WithAction(Op op, const std::function<void(Action&)>& change) {
  change(std::get<Action>(std::get<FileOp>(op.body).actions[0]));
  return op;
}

// The two vertices the variants take as inputs (see the test case below).
constexpr VertexId kIn0 = 2;
constexpr VertexId kIn1 = 3;

Op BaseImage() {
  Op op = Image("docker.io/library/alpine:3.19");
  std::get<ImageSource>(std::get<SourceOp>(op.body).source).manifest_digest =
      oci::Digest::Of("manifest");
  return op;
}

Op BaseHttp() {
  Op op;
  op.body = SourceOp{HttpSource{"https://example.com/a.tgz", {}, "a.tgz", 0600, 0, 0}};
  return op;
}

Op BaseGit() {
  Op op;
  op.body = SourceOp{GitSource{"https://github.com/moby/buildkit.git", "v0.12", "", false, ""}};
  return op;
}

Op BaseExec() {
  Op op = Exec(kIn0, kIn1);
  auto& exec = std::get<ExecOp>(op.body);
  exec.extra_hosts = {{"db", "10.0.0.2"}};
  exec.proxy_env = {{"HTTP_PROXY", "http://proxy:3128"}};
  exec.secret_env = {{"token", "TOKEN", false}};
  exec.mounts.push_back(Mount{"/tmp", TmpfsMount{}, std::nullopt});
  exec.mounts.push_back(Mount{"/run/secrets/token", SecretMount{"token"}, std::nullopt});
  exec.mounts.push_back(Mount{"/run/ssh", SshMount{"default"}, std::nullopt});
  return op;
}
// Indices of BaseExec's mounts.
constexpr std::size_t kRootMount = 0;
constexpr std::size_t kCacheMount = 3;
constexpr std::size_t kTmpfsMount = 4;
constexpr std::size_t kSecretMount = 5;
constexpr std::size_t kSshMount = 6;

Op BaseFile(FileAction action) {
  Op op;
  op.inputs = {Edge{kIn0, 0}, Edge{kIn1, 0}};
  op.body = FileOp{0, {std::move(action)}};
  return op;
}

CopyAction BaseCopy() {
  CopyAction copy;
  copy.source = 1;
  copy.src = "/app";
  copy.dest = "/bin/app";
  return copy;
}

std::vector<Variant> Variants() {
  const Op image = BaseImage();
  const Op local = Context();
  const Op http = BaseHttp();
  const Op git = BaseGit();
  const Op exec = BaseExec();
  const Op copy = BaseFile(BaseCopy());
  const Op mkdir = BaseFile(MkdirAction{"/a", 0755, false, std::nullopt, std::nullopt});
  const Op mkfile = BaseFile(MkfileAction{"/f", 0644, "data", std::nullopt, std::nullopt});
  const Op rm = BaseFile(RmAction{"/f", false, false});
  const Op symlink = BaseFile(SymlinkAction{"/a", "/b", std::nullopt, std::nullopt});
  Op merge;
  merge.inputs = {Edge{kIn0, 0}, Edge{kIn1, 0}};
  merge.body = MergeOp{};
  Op diff;
  diff.inputs = {Edge{kIn0, 0}, Edge{kIn1, 0}};
  diff.body = DiffOp{0, 1};

  using IS = ImageSource;
  using LS = LocalSource;
  using HS = HttpSource;
  using GS = GitSource;
  using CA = CopyAction;
  const Chown root_owner{UserSpec(std::uint32_t{0}), std::nullopt};

  return {
      // Each op kind and source alternative.
      {"image", image},
      {"local", local},
      {"http", http},
      {"git", git},
      {"exec", exec},
      {"copy", copy},
      {"mkdir", mkdir},
      {"mkfile", mkfile},
      {"rm", rm},
      {"symlink", symlink},
      {"merge", merge},
      {"diff", diff},
      // Op fields.
      {"platform os", WithOp(exec, [](Op& o) { o.platform.os = "windows"; })},
      {"platform architecture", WithOp(exec, [](Op& o) { o.platform.architecture = "arm64"; })},
      {"platform variant", WithOp(exec, [](Op& o) { o.platform.variant = "v8"; })},
      {"input order", WithOp(merge, [](Op& o) { std::swap(o.inputs[0], o.inputs[1]); })},
      {"input output index", WithOp(merge, [](Op& o) { o.inputs[0].output = 1; })},
      {"input vertex", WithOp(merge, [](Op& o) { o.inputs[0].vertex = kIn1; })},
      {"one input fewer", WithOp(merge, [](Op& o) { o.inputs.pop_back(); })},
      // ImageSource.
      {"image reference", WithSource<IS>(image, [](IS& s) { s.reference += "x"; })},
      {"image unpinned", WithSource<IS>(image, [](IS& s) { s.manifest_digest = {}; })},
      {"image platform os", WithSource<IS>(image, [](IS& s) { s.platform.os = "x"; })},
      {"image platform arch", WithSource<IS>(image, [](IS& s) { s.platform.architecture = "x"; })},
      {"image platform variant", WithSource<IS>(image, [](IS& s) { s.platform.variant = "x"; })},
      {"image force pull",
       WithSource<IS>(image, [](IS& s) { s.resolve_mode = ResolveMode::kForcePull; })},
      {"image prefer local",
       WithSource<IS>(image, [](IS& s) { s.resolve_mode = ResolveMode::kPreferLocal; })},
      // LocalSource, including a pattern moving from one list to the next.
      {"local name", WithSource<LS>(local, [](LS& s) { s.name = "other"; })},
      {"local include", WithSource<LS>(local, [](LS& s) { s.include_patterns.push_back("b"); })},
      {"local exclude", WithSource<LS>(local, [](LS& s) { s.exclude_patterns.push_back("b"); })},
      {"local follow", WithSource<LS>(local, [](LS& s) { s.follow_paths.push_back("b"); })},
      {"local include moved to exclude", WithSource<LS>(local,
                                                        [](LS& s) {
                                                          s.include_patterns.clear();
                                                          s.exclude_patterns.insert(
                                                              s.exclude_patterns.begin(), "src/");
                                                        })},
      // HttpSource.
      {"http url", WithSource<HS>(http, [](HS& s) { s.url += "x"; })},
      {"http checksum", WithSource<HS>(http, [](HS& s) { s.checksum = oci::Digest::Of("a"); })},
      {"http filename", WithSource<HS>(http, [](HS& s) { s.filename = "b"; })},
      {"http mode", WithSource<HS>(http, [](HS& s) { s.mode = 0644; })},
      {"http uid", WithSource<HS>(http, [](HS& s) { s.uid = 1; })},
      {"http gid", WithSource<HS>(http, [](HS& s) { s.gid = 1; })},
      // GitSource.
      {"git remote", WithSource<GS>(git, [](GS& s) { s.remote += "x"; })},
      {"git ref", WithSource<GS>(git, [](GS& s) { s.ref = "main"; })},
      {"git subdir", WithSource<GS>(git, [](GS& s) { s.subdir = "docs"; })},
      {"git keep dir", WithSource<GS>(git, [](GS& s) { s.keep_git_dir = true; })},
      {"git checksum", WithSource<GS>(git, [](GS& s) { s.checksum = "abc"; })},
      // ExecOp, including string boundaries that concatenate to the same text.
      {"exec args", With<ExecOp>(exec, [](ExecOp& e) { e.args.back() = "make all"; })},
      {"exec args split", With<ExecOp>(exec,
                                       [](ExecOp& e) {
                                         e.args = {"/bin/sh", "-cmake"};
                                       })},
      {"exec env name", With<ExecOp>(exec, [](ExecOp& e) { e.env[1].first = "CXX"; })},
      {"exec env value", With<ExecOp>(exec, [](ExecOp& e) { e.env[1].second = "clang"; })},
      {"exec env order", With<ExecOp>(exec, [](ExecOp& e) { std::swap(e.env[0], e.env[1]); })},
      {"exec env boundary", With<ExecOp>(exec,
                                         [](ExecOp& e) {
                                           e.env[1] = {"CCg", "cc"};
                                         })},
      {"exec cwd", With<ExecOp>(exec, [](ExecOp& e) { e.cwd = "/"; })},
      {"exec user", With<ExecOp>(exec, [](ExecOp& e) { e.user = "nobody"; })},
      {"exec hostname", With<ExecOp>(exec, [](ExecOp& e) { e.hostname = "builder"; })},
      {"exec extra host", With<ExecOp>(exec, [](ExecOp& e) { e.extra_hosts[0].host = "dc"; })},
      {"exec extra host ip", With<ExecOp>(exec, [](ExecOp& e) { e.extra_hosts[0].ip = "::1"; })},
      {"exec proxy env", With<ExecOp>(exec, [](ExecOp& e) { e.proxy_env.clear(); })},
      {"exec network host", With<ExecOp>(exec, [](ExecOp& e) { e.network = NetMode::kHost; })},
      {"exec network none", With<ExecOp>(exec, [](ExecOp& e) { e.network = NetMode::kNone; })},
      {"exec insecure",
       With<ExecOp>(exec, [](ExecOp& e) { e.security = SecurityMode::kInsecure; })},
      {"exec secret env id", With<ExecOp>(exec, [](ExecOp& e) { e.secret_env[0].id = "t2"; })},
      {"exec secret env name", With<ExecOp>(exec, [](ExecOp& e) { e.secret_env[0].name = "T2"; })},
      {"exec secret env required",
       With<ExecOp>(exec, [](ExecOp& e) { e.secret_env[0].required = true; })},
      {"exec mount dest", With<ExecOp>(exec, [](ExecOp& e) { e.mounts[1].dest = "/s"; })},
      {"exec mount order",
       With<ExecOp>(exec, [](ExecOp& e) { std::swap(e.mounts[1], e.mounts[2]); })},
      {"exec mount output absent",
       With<ExecOp>(exec, [](ExecOp& e) { e.mounts[2].output.reset(); })},
      {"exec mount output 2", With<ExecOp>(exec, [](ExecOp& e) { e.mounts[2].output = 2; })},
      {"exec mount bind as tmpfs",
       With<ExecOp>(exec, [](ExecOp& e) { e.mounts[2].kind = TmpfsMount{}; })},
      {"bind source", WithMount<BindMount>(exec, 1, [](BindMount& m) { m.source = 0; })},
      {"bind scratch", WithMount<BindMount>(exec, 1, [](BindMount& m) { m.source = kScratch; })},
      {"bind selector", WithMount<BindMount>(exec, 1, [](BindMount& m) { m.selector = ""; })},
      {"bind readonly",
       WithMount<BindMount>(exec, kRootMount, [](BindMount& m) { m.readonly = true; })},
      {"cache id", WithMount<CacheMount>(exec, kCacheMount, [](CacheMount& m) { m.id = "go"; })},
      {"cache private",
       WithMount<CacheMount>(exec, kCacheMount,
                             [](CacheMount& m) { m.sharing = CacheSharing::kPrivate; })},
      {"cache locked",
       WithMount<CacheMount>(exec, kCacheMount,
                             [](CacheMount& m) { m.sharing = CacheSharing::kLocked; })},
      {"cache source",
       WithMount<CacheMount>(exec, kCacheMount, [](CacheMount& m) { m.source = 1; })},
      {"cache selector",
       WithMount<CacheMount>(exec, kCacheMount, [](CacheMount& m) { m.selector = "x"; })},
      {"cache readonly",
       WithMount<CacheMount>(exec, kCacheMount, [](CacheMount& m) { m.readonly = true; })},
      {"cache mode",
       WithMount<CacheMount>(exec, kCacheMount, [](CacheMount& m) { m.mode = 0700; })},
      {"cache uid", WithMount<CacheMount>(exec, kCacheMount, [](CacheMount& m) { m.uid = 1; })},
      {"cache gid", WithMount<CacheMount>(exec, kCacheMount, [](CacheMount& m) { m.gid = 1; })},
      {"tmpfs size",
       WithMount<TmpfsMount>(exec, kTmpfsMount, [](TmpfsMount& m) { m.size_bytes = 1 << 20; })},
      {"secret id",
       WithMount<SecretMount>(exec, kSecretMount, [](SecretMount& m) { m.id = "other"; })},
      {"secret mode",
       WithMount<SecretMount>(exec, kSecretMount, [](SecretMount& m) { m.mode = 0444; })},
      {"secret uid", WithMount<SecretMount>(exec, kSecretMount, [](SecretMount& m) { m.uid = 1; })},
      {"secret gid", WithMount<SecretMount>(exec, kSecretMount, [](SecretMount& m) { m.gid = 1; })},
      {"secret required",
       WithMount<SecretMount>(exec, kSecretMount, [](SecretMount& m) { m.required = true; })},
      {"secret as ssh",
       With<ExecOp>(exec,
                    [](ExecOp& e) {
                      e.mounts[kSecretMount].kind = SshMount{"token", 0400, 0, 0, false};
                    })},
      {"ssh id", WithMount<SshMount>(exec, kSshMount, [](SshMount& m) { m.id = "github"; })},
      {"ssh mode", WithMount<SshMount>(exec, kSshMount, [](SshMount& m) { m.mode = 0400; })},
      {"ssh uid", WithMount<SshMount>(exec, kSshMount, [](SshMount& m) { m.uid = 1; })},
      {"ssh gid", WithMount<SshMount>(exec, kSshMount, [](SshMount& m) { m.gid = 1; })},
      {"ssh optional",
       WithMount<SshMount>(exec, kSshMount, [](SshMount& m) { m.required = false; })},
      // FileOp and CopyAction.
      {"file base", With<FileOp>(copy, [](FileOp& f) { f.base = kScratch; })},
      {"file two actions", With<FileOp>(copy,
                                        [](FileOp& f) {
                                          f.actions.push_back(RmAction{"/f", false, false});
                                        })},
      {"copy source", WithAction<CA>(copy, [](CA& a) { a.source = 0; })},
      {"copy src", WithAction<CA>(copy, [](CA& a) { a.src = "/other"; })},
      {"copy dest", WithAction<CA>(copy, [](CA& a) { a.dest = "/bin/other"; })},
      {"copy src dest boundary", WithAction<CA>(copy,
                                                [](CA& a) {
                                                  a.src = "/ap";
                                                  a.dest = "p/bin/app";
                                                })},
      {"copy owner uid", WithAction<CA>(copy, [&](CA& a) { a.owner = root_owner; })},
      {"copy owner name",
       WithAction<CA>(copy,
                      [](CA& a) {
                        a.owner = Chown{UserSpec(std::string("0")), std::nullopt};
                      })},
      {"copy owner group id",
       WithAction<CA>(copy,
                      [](CA& a) {
                        a.owner = Chown{UserSpec(std::uint32_t{0}), UserSpec(std::uint32_t{0})};
                      })},
      {"copy owner group name",
       WithAction<CA>(copy,
                      [](CA& a) {
                        a.owner = Chown{UserSpec(std::uint32_t{0}), UserSpec(std::string("0"))};
                      })},
      {"copy mode", WithAction<CA>(copy, [](CA& a) { a.mode = 0; })},
      {"copy mode expression", WithAction<CA>(copy, [](CA& a) { a.mode_expression = "u+x"; })},
      {"copy follow symlinks", WithAction<CA>(copy, [](CA& a) { a.follow_symlinks = true; })},
      {"copy dir contents", WithAction<CA>(copy, [](CA& a) { a.copy_dir_contents = true; })},
      {"copy unpack", WithAction<CA>(copy, [](CA& a) { a.unpack_archive = true; })},
      {"copy create dest", WithAction<CA>(copy, [](CA& a) { a.create_dest_path = true; })},
      {"copy wildcard", WithAction<CA>(copy, [](CA& a) { a.allow_wildcard = true; })},
      {"copy empty wildcard", WithAction<CA>(copy, [](CA& a) { a.allow_empty_wildcard = true; })},
      {"copy replace", WithAction<CA>(copy, [](CA& a) { a.always_replace_existing = true; })},
      {"copy parents", WithAction<CA>(copy, [](CA& a) { a.parents = true; })},
      {"copy include", WithAction<CA>(copy, [](CA& a) { a.include_patterns = {"*.go"}; })},
      {"copy exclude", WithAction<CA>(copy, [](CA& a) { a.exclude_patterns = {"*.go"}; })},
      {"copy timestamp", WithAction<CA>(copy, [](CA& a) { a.timestamp = 0; })},
      // The other file actions.
      {"mkdir path", WithAction<MkdirAction>(mkdir, [](MkdirAction& a) { a.path = "/b"; })},
      {"mkdir mode", WithAction<MkdirAction>(mkdir, [](MkdirAction& a) { a.mode = 0700; })},
      {"mkdir parents",
       WithAction<MkdirAction>(mkdir, [](MkdirAction& a) { a.make_parents = true; })},
      {"mkdir owner",
       WithAction<MkdirAction>(mkdir, [&](MkdirAction& a) { a.owner = root_owner; })},
      {"mkdir timestamp", WithAction<MkdirAction>(mkdir, [](MkdirAction& a) { a.timestamp = -1; })},
      {"mkfile path", WithAction<MkfileAction>(mkfile, [](MkfileAction& a) { a.path = "/g"; })},
      {"mkfile mode", WithAction<MkfileAction>(mkfile, [](MkfileAction& a) { a.mode = 0600; })},
      {"mkfile data",
       WithAction<MkfileAction>(mkfile, [](MkfileAction& a) { a.data = std::string(4, '\0'); })},
      {"mkfile owner",
       WithAction<MkfileAction>(mkfile, [&](MkfileAction& a) { a.owner = root_owner; })},
      {"mkfile timestamp",
       WithAction<MkfileAction>(mkfile, [](MkfileAction& a) { a.timestamp = 1700000000; })},
      {"rm path", WithAction<RmAction>(rm, [](RmAction& a) { a.path = "/g"; })},
      {"rm allow not found",
       WithAction<RmAction>(rm, [](RmAction& a) { a.allow_not_found = true; })},
      {"rm wildcard", WithAction<RmAction>(rm, [](RmAction& a) { a.allow_wildcard = true; })},
      {"symlink target",
       WithAction<SymlinkAction>(symlink, [](SymlinkAction& a) { a.target = "/c"; })},
      {"symlink linkpath",
       WithAction<SymlinkAction>(symlink, [](SymlinkAction& a) { a.linkpath = "/c"; })},
      {"symlink owner",
       WithAction<SymlinkAction>(symlink, [&](SymlinkAction& a) { a.owner = root_owner; })},
      {"symlink timestamp",
       WithAction<SymlinkAction>(symlink, [](SymlinkAction& a) { a.timestamp = 0; })},
      // DiffOp.
      {"diff lower", With<DiffOp>(diff, [](DiffOp& d) { d.lower = kScratch; })},
      {"diff upper", With<DiffOp>(diff, [](DiffOp& d) { d.upper = 0; })},
      {"diff swapped", With<DiffOp>(diff, [](DiffOp& d) { std::swap(d.lower, d.upper); })},
  };
}

TEST_CASE("ops that differ in any single field get different digests", "[solver][ir]") {
  Graph graph;
  // The inputs the variants name: two exec ops with outputs 0 and 1 each, so that every
  // edge in the table is valid.
  const VertexId image = graph.Add(Image("docker.io/library/alpine:3.19"));
  const VertexId context = graph.Add(Context());
  Op install = Exec(image, context);
  std::get<ExecOp>(install.body).args.push_back("install");
  REQUIRE(graph.Add(Exec(image, context)) == kIn0);
  REQUIRE(graph.Add(install) == kIn1);

  std::map<oci::Digest, std::string> seen;
  for (const Variant& v : Variants()) {
    INFO("variant: " << v.name);
    const oci::Digest digest = DigestOp(v.op, graph);
    const auto [it, inserted] = seen.emplace(digest, v.name);
    INFO("same digest as: " << it->second);
    CHECK(inserted);
    // Add aborts on a malformed op, so this also keeps the table honest.
    CHECK(graph.digest(graph.Add(v.op)) == digest);
  }
}

}  // namespace
}  // namespace bt::ir
