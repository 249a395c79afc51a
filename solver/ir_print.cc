#include "solver/ir_print.h"
#include "solver/ir_overloaded.h"

#include <cstdio>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace bt::ir {
namespace {

// ordered_json keeps fields in insertion order, so the output reads like the structs in
// ir.h; that order is fixed by this file, which is all determinism needs.
using Json = nlohmann::ordered_json;

const char* KindName(const Op& op) {
  return std::visit(Overloaded{
                        [](const SourceOp&) { return "source"; },
                        [](const ExecOp&) { return "exec"; },
                        [](const FileOp&) { return "file"; },
                        [](const MergeOp&) { return "merge"; },
                        [](const DiffOp&) { return "diff"; },
                    },
                    op.body);
}

// Lowercase words for enums. An out-of-range value cannot get here, since Graph::Add encodes
// every op first and aborts on one; the checks only keep the compiler and reader certain.
const char* Word(ResolveMode m) {
  switch (m) {
    case ResolveMode::kDefault:
      return "default";
    case ResolveMode::kForcePull:
      return "force-pull";
    case ResolveMode::kPreferLocal:
      return "prefer-local";
  }
  CheckFailed("a valid ResolveMode", __FILE__, __LINE__);
}

const char* Word(NetMode m) {
  switch (m) {
    case NetMode::kSandbox:
      return "sandbox";
    case NetMode::kHost:
      return "host";
    case NetMode::kNone:
      return "none";
  }
  CheckFailed("a valid NetMode", __FILE__, __LINE__);
}

const char* Word(SecurityMode m) {
  switch (m) {
    case SecurityMode::kSandbox:
      return "sandbox";
    case SecurityMode::kInsecure:
      return "insecure";
  }
  CheckFailed("a valid SecurityMode", __FILE__, __LINE__);
}

const char* Word(CacheSharing s) {
  switch (s) {
    case CacheSharing::kShared:
      return "shared";
    case CacheSharing::kPrivate:
      return "private";
    case CacheSharing::kLocked:
      return "locked";
  }
  CheckFailed("a valid CacheSharing", __FILE__, __LINE__);
}

// ---- Field values ----

Json Mode(std::uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0%03o", static_cast<unsigned>(mode));
  return buf;
}

Json Input(InputIndex index) { return index == kScratch ? Json(nullptr) : Json(index); }

Json DigestOrNull(const oci::Digest& d) { return d.is_zero() ? Json(nullptr) : Json(d.ToString()); }

template <typename T>
Json OrNull(const std::optional<T>& value) {
  return value.has_value() ? Json(*value) : Json(nullptr);
}

Json ToJson(const oci::Platform& p) {
  return Json{{"os", p.os}, {"architecture", p.architecture}, {"variant", p.variant}};
}

Json ToJson(const UserSpec& u) {
  return std::visit([](const auto& v) { return Json(v); }, u);
}

Json ToJson(const std::optional<Chown>& owner) {
  if (!owner.has_value()) return nullptr;
  return Json{{"user", ToJson(owner->user)},
              {"group", owner->group.has_value() ? ToJson(*owner->group) : Json(nullptr)}};
}

Json KeyValues(const std::vector<std::pair<std::string, std::string>>& pairs) {
  Json out = Json::array();
  for (const auto& [key, value] : pairs) out.push_back(Json{{"key", key}, {"value", value}});
  return out;
}

Json EdgeJson(const Graph& graph, const Edge& edge) {
  BT_CHECK(edge.vertex < graph.size());
  return Json{{"digest", graph.digest(edge.vertex).ToString()}, {"output", edge.output}};
}

// ---- Op bodies ----

Json ToJson(const SourceOp& op) {
  Json source = std::visit(Overloaded{
                               [](const ImageSource& s) {
                                 return Json{{"type", "image"},
                                             {"reference", s.reference},
                                             {"manifest_digest", DigestOrNull(s.manifest_digest)},
                                             {"platform", ToJson(s.platform)},
                                             {"resolve_mode", Word(s.resolve_mode)}};
                               },
                               [](const LocalSource& s) {
                                 return Json{{"type", "local"},
                                             {"name", s.name},
                                             {"include_patterns", s.include_patterns},
                                             {"exclude_patterns", s.exclude_patterns},
                                             {"follow_paths", s.follow_paths}};
                               },
                               [](const HttpSource& s) {
                                 return Json{{"type", "http"},
                                             {"url", s.url},
                                             {"checksum", DigestOrNull(s.checksum)},
                                             {"filename", s.filename},
                                             {"mode", Mode(s.mode)},
                                             {"uid", s.uid},
                                             {"gid", s.gid}};
                               },
                               [](const GitSource& s) {
                                 return Json{{"type", "git"},
                                             {"remote", s.remote},
                                             {"ref", s.ref},
                                             {"subdir", s.subdir},
                                             {"keep_git_dir", s.keep_git_dir},
                                             {"checksum", s.checksum}};
                               },
                           },
                           op.source);
  return Json{{"source", std::move(source)}};
}

Json ToJson(const Mount& m) {
  Json kind =
      std::visit(Overloaded{
                     [](const BindMount& b) {
                       return Json{{"type", "bind"},
                                   {"source", Input(b.source)},
                                   {"selector", b.selector},
                                   {"readonly", b.readonly}};
                     },
                     [](const CacheMount& c) {
                       return Json{{"type", "cache"},
                                   {"id", c.id},
                                   {"sharing", Word(c.sharing)},
                                   {"source", Input(c.source)},
                                   {"selector", c.selector},
                                   {"readonly", c.readonly},
                                   {"mode", Mode(c.mode)},
                                   {"uid", c.uid},
                                   {"gid", c.gid}};
                     },
                     [](const TmpfsMount& t) {
                       return Json{{"type", "tmpfs"}, {"size_bytes", t.size_bytes}};
                     },
                     [](const SecretMount& s) {
                       return Json{{"type", "secret"}, {"id", s.id},   {"mode", Mode(s.mode)},
                                   {"uid", s.uid},     {"gid", s.gid}, {"required", s.required}};
                     },
                     [](const SshMount& s) {
                       return Json{{"type", "ssh"}, {"id", s.id},   {"mode", Mode(s.mode)},
                                   {"uid", s.uid},  {"gid", s.gid}, {"required", s.required}};
                     },
                 },
                 m.kind);
  return Json{{"dest", m.dest}, {"kind", std::move(kind)}, {"output", OrNull(m.output)}};
}

Json ToJson(const ExecOp& op) {
  Json extra_hosts = Json::array();
  for (const ExtraHost& h : op.extra_hosts) {
    extra_hosts.push_back(Json{{"host", h.host}, {"ip", h.ip}});
  }
  Json mounts = Json::array();
  for (const Mount& m : op.mounts) mounts.push_back(ToJson(m));
  Json secret_env = Json::array();
  for (const SecretEnv& s : op.secret_env) {
    secret_env.push_back(Json{{"id", s.id}, {"name", s.name}, {"required", s.required}});
  }
  return Json{{"args", op.args},
              {"env", KeyValues(op.env)},
              {"cwd", op.cwd},
              {"user", op.user},
              {"hostname", op.hostname},
              {"extra_hosts", std::move(extra_hosts)},
              {"proxy_env", KeyValues(op.proxy_env)},
              {"mounts", std::move(mounts)},
              {"network", Word(op.network)},
              {"security", Word(op.security)},
              {"secret_env", std::move(secret_env)}};
}

Json ToJson(const FileAction& action) {
  return std::visit(
      Overloaded{
          [](const CopyAction& a) {
            return Json{{"type", "copy"},
                        {"source", Input(a.source)},
                        {"src", a.src},
                        {"dest", a.dest},
                        {"owner", ToJson(a.owner)},
                        {"mode", a.mode.has_value() ? Mode(*a.mode) : Json(nullptr)},
                        {"mode_expression", a.mode_expression},
                        {"follow_symlinks", a.follow_symlinks},
                        {"copy_dir_contents", a.copy_dir_contents},
                        {"unpack_archive", a.unpack_archive},
                        {"create_dest_path", a.create_dest_path},
                        {"allow_wildcard", a.allow_wildcard},
                        {"allow_empty_wildcard", a.allow_empty_wildcard},
                        {"always_replace_existing", a.always_replace_existing},
                        {"parents", a.parents},
                        {"include_patterns", a.include_patterns},
                        {"exclude_patterns", a.exclude_patterns},
                        {"timestamp", OrNull(a.timestamp)}};
          },
          [](const MkdirAction& a) {
            return Json{{"type", "mkdir"},          {"path", a.path},
                        {"mode", Mode(a.mode)},     {"make_parents", a.make_parents},
                        {"owner", ToJson(a.owner)}, {"timestamp", OrNull(a.timestamp)}};
          },
          [](const MkfileAction& a) {
            return Json{{"type", "mkfile"},         {"path", a.path},
                        {"mode", Mode(a.mode)},     {"data", a.data},
                        {"owner", ToJson(a.owner)}, {"timestamp", OrNull(a.timestamp)}};
          },
          [](const RmAction& a) {
            return Json{{"type", "rm"},
                        {"path", a.path},
                        {"allow_not_found", a.allow_not_found},
                        {"allow_wildcard", a.allow_wildcard}};
          },
          [](const SymlinkAction& a) {
            return Json{{"type", "symlink"},
                        {"target", a.target},
                        {"linkpath", a.linkpath},
                        {"owner", ToJson(a.owner)},
                        {"timestamp", OrNull(a.timestamp)}};
          },
      },
      action);
}

Json ToJson(const FileOp& op) {
  Json actions = Json::array();
  for (const FileAction& a : op.actions) actions.push_back(ToJson(a));
  return Json{{"base", Input(op.base)}, {"actions", std::move(actions)}};
}

Json BodyJson(const Op& op) {
  return std::visit(Overloaded{
                        [](const SourceOp& s) { return ToJson(s); },
                        [](const ExecOp& e) { return ToJson(e); },
                        [](const FileOp& f) { return ToJson(f); },
                        [](const MergeOp&) { return Json::object(); },
                        [](const DiffOp& d) {
                          return Json{{"lower", Input(d.lower)}, {"upper", Input(d.upper)}};
                        },
                    },
                    op.body);
}

Json MetadataJson(const BuildDefinition& def, const oci::Digest& digest) {
  auto it = def.metadata.find(digest);
  if (it == def.metadata.end()) return nullptr;
  const OpMetadata& meta = it->second;
  Json location = nullptr;
  if (meta.location.has_value()) {
    location = meta.location->file + ":" + std::to_string(meta.location->start_line) + "-" +
               std::to_string(meta.location->end_line);
  }
  return Json{{"description", meta.description},
              {"location", std::move(location)},
              {"stages", Json(std::vector<std::string>(meta.stages.begin(), meta.stages.end()))}};
}

Json ImageConfigJson(const oci::ImageConfig& config) {
  const std::string text = oci::SerializeImageConfig(config);
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  // Embedding the serializer's text as a string keeps a broken serializer visible here
  // instead of hiding it.
  if (parsed.is_discarded()) return text;
  return parsed;
}

// ---- DOT ----

// Enough of a description to recognise a step ("RUN apt-get update && ...") without making
// the graph unreadable.
constexpr std::size_t kMaxLabelBytes = 48;

std::string ShortLabel(std::string_view text) {
  std::string out;
  bool cut = false;
  if (text.size() > kMaxLabelBytes) {
    std::size_t n = kMaxLabelBytes;
    // Back up to a UTF-8 sequence start so that no character is split.
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80) --n;
    text = text.substr(0, n);
    cut = true;
  }
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += ' ';
    } else {
      out += c;
    }
  }
  if (cut) out += "...";
  return out;
}

}  // namespace

std::string GraphToJson(const BuildDefinition& definition) {
  const Graph& graph = definition.graph;
  Json vertices = Json::array();
  for (VertexId id = 0; id < graph.size(); ++id) {
    const Op& op = graph.op(id);
    Json inputs = Json::array();
    for (const Edge& e : op.inputs) inputs.push_back(EdgeJson(graph, e));
    vertices.push_back(Json{{"digest", graph.digest(id).ToString()},
                            {"kind", KindName(op)},
                            {"platform", ToJson(op.platform)},
                            {"inputs", std::move(inputs)},
                            {"op", BodyJson(op)},
                            {"metadata", MetadataJson(definition, graph.digest(id))}});
  }
  Json target = nullptr;
  if (definition.target.has_value()) target = EdgeJson(graph, *definition.target);
  const Json out{{"vertices", std::move(vertices)},
                 {"target", std::move(target)},
                 {"image_config", ImageConfigJson(definition.image_config)}};
  // replace: invalid UTF-8 (binary mkfile data) becomes U+FFFD instead of throwing.
  return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string GraphToDot(const BuildDefinition& definition) {
  const Graph& graph = definition.graph;
  std::string out = "digraph ir {\n";
  for (VertexId id = 0; id < graph.size(); ++id) {
    const oci::Digest& digest = graph.digest(id);
    auto meta = definition.metadata.find(digest);
    const std::string description =
        meta != definition.metadata.end() ? meta->second.description : digest.hex().substr(0, 12);
    out += "  v" + std::to_string(id) + " [label=\"" + KindName(graph.op(id)) + "\\n" +
           ShortLabel(description) + "\"";
    if (definition.target.has_value() && definition.target->vertex == id) {
      out += ", peripheries=2";
    }
    out += "];\n";
  }
  for (VertexId id = 0; id < graph.size(); ++id) {
    for (const Edge& e : graph.op(id).inputs) {
      out += "  v" + std::to_string(e.vertex) + " -> v" + std::to_string(id);
      if (e.output != 0) out += " [label=\"" + std::to_string(e.output) + "\"]";
      out += ";\n";
    }
  }
  out += "}\n";
  return out;
}

}  // namespace bt::ir
