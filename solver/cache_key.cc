#include "solver/cache_key.h"

#include <string>
#include <string_view>

#include "solver/ir_overloaded.h"

namespace bt::solver {
namespace {

using cache::ContextTree;

void PutU32(std::string* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutStr(std::string* out, std::string_view s) {
  PutU32(out, static_cast<std::uint32_t>(s.size()));
  out->append(s);
}
void PutDigest(std::string* out, const oci::Digest& d) {
  out->append(reinterpret_cast<const char*>(d.bytes().data()), oci::Digest::kSize);
}

// One selection: the checksum of `selector` in `tree`, or why there is none. A missing
// path is part of the key too: the step's outcome (an error, or an empty wildcard) follows it.
void PutSelection(std::string* out, const ContextTree& tree, std::uint32_t index,
                  const std::string& selector, bool follow) {
  PutU32(out, index);
  PutStr(out, selector);
  out->push_back(follow ? 1 : 0);
  const Result<cache::Checksum128> sum = tree.ChecksumOf(
      selector, follow ? ContextTree::FinalSymlink::kFollow : ContextTree::FinalSymlink::kAsLink);
  if (sum) {
    out->push_back(1);
    PutU64(out, sum->high);
    PutU64(out, sum->low);
  } else {
    out->push_back(0);
    PutStr(out, sum.error().message);
  }
}

std::string JoinSelector(const std::string& base, const std::string& rel) {
  if (base.empty() || base == "/") return "/" + rel;
  return base + "/" + rel;
}

// The selections `op` makes from its input `input`, a local context.
std::string Selections(const ir::Op& op, ir::InputIndex input, const ContextTree& tree) {
  std::vector<InputSelection> selections = SelectionsOf(op, input);
  if (selections.empty()) {
    // Read whole (a merge, a diff, a base): the root.
    selections.push_back(InputSelection{0, "/", false});
  }
  std::string out;
  PutU32(&out, static_cast<std::uint32_t>(selections.size()));
  for (const InputSelection& s : selections)
    PutSelection(&out, tree, s.index, s.selector, s.follow);
  return out;
}

}  // namespace

std::vector<InputSelection> SelectionsOf(const ir::Op& op, ir::InputIndex input) {
  std::vector<InputSelection> out;
  std::visit(ir::Overloaded{
                 [&](const ir::FileOp& file) {
                   for (std::size_t a = 0; a < file.actions.size(); ++a) {
                     const auto* copy = std::get_if<ir::CopyAction>(&file.actions[a]);
                     if (copy == nullptr || copy->source != input) continue;
                     const auto index = static_cast<std::uint32_t>(a);
                     if (copy->parents && !copy->include_patterns.empty()) {
                       // --parents selects by its patterns below src.
                       for (const std::string& pattern : copy->include_patterns) {
                         out.push_back({index, JoinSelector(copy->src, pattern), false});
                       }
                     } else {
                       out.push_back({index, copy->src, copy->follow_symlinks});
                     }
                   }
                 },
                 [&](const ir::ExecOp& exec) {
                   for (std::size_t m = 0; m < exec.mounts.size(); ++m) {
                     const ir::Mount& mount = exec.mounts[m];
                     std::string selector;
                     bool reads = false;
                     if (const auto* bind = std::get_if<ir::BindMount>(&mount.kind)) {
                       reads = bind->source == input;
                       selector = bind->selector;
                     } else if (const auto* cache = std::get_if<ir::CacheMount>(&mount.kind)) {
                       reads = cache->source == input;
                       selector = cache->selector;
                     }
                     if (!reads) continue;
                     out.push_back(
                         {static_cast<std::uint32_t>(m), selector.empty() ? "/" : selector, true});
                   }
                 },
                 [](const auto&) {},
             },
             op.body);
  return out;
}

oci::Digest ContentCacheKey(const ir::Graph& graph, ir::VertexId v,
                            const std::vector<ContentKeyInput>& inputs) {
  const ir::Op& op = graph.op(v);
  std::string buf("buildtool content key v1", 25);
  PutDigest(&buf, graph.digest(v));
  PutU32(&buf, static_cast<std::uint32_t>(inputs.size()));
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].selected != nullptr) {
      buf.push_back('S');
      buf += Selections(op, static_cast<ir::InputIndex>(i), *inputs[i].selected);
    } else {
      buf.push_back('K');
      PutDigest(&buf, inputs[i].key);
      PutU32(&buf, inputs[i].output);
    }
  }
  return oci::Digest::Of(buf);
}

namespace {

// A portable selection: as PutSelection, with the SHA-256 digest of what is found.
Result<void> PutPortableSelection(std::string* out, cache::PortableContextDigests& context,
                                  std::uint32_t index, const std::string& selector, bool follow) {
  PutU32(out, index);
  PutStr(out, selector);
  out->push_back(follow ? 1 : 0);
  const auto final = follow ? ContextTree::FinalSymlink::kFollow : ContextTree::FinalSymlink::kAsLink;
  // What names nothing is keyed by why, as locally; failing to read what is there is an error.
  const Result<ContextTree::Selected> selected = context.tree().Select(selector, final);
  if (!selected) {
    out->push_back(0);
    PutStr(out, selected.error().message);
    return {};
  }
  BT_ASSIGN_OR_RETURN(const oci::Digest digest, context.DigestOf(*selected));
  out->push_back(1);
  PutDigest(out, digest);
  return {};
}

Result<std::string> PortableSelections(const ir::Op& op, ir::InputIndex input,
                                       cache::PortableContextDigests& context) {
  std::vector<InputSelection> selections = SelectionsOf(op, input);
  if (selections.empty()) selections.push_back(InputSelection{0, "/", false});
  std::string out;
  PutU32(&out, static_cast<std::uint32_t>(selections.size()));
  for (const InputSelection& s : selections) {
    BT_TRY(PutPortableSelection(&out, context, s.index, s.selector, s.follow));
  }
  return out;
}

}  // namespace

Result<std::vector<oci::Digest>> ComputePortableCacheKeys(
    const ir::Graph& graph, const std::vector<PortableSourceContent>& sources) {
  std::vector<oci::Digest> keys(graph.size());
  auto local_of = [&](ir::VertexId v) -> cache::PortableContextDigests* {
    if (v >= sources.size()) return nullptr;
    auto* const* context = std::get_if<cache::PortableContextDigests*>(&sources[v]);
    return context != nullptr ? *context : nullptr;
  };
  for (ir::VertexId v = 0; v < graph.size(); ++v) {
    const ir::Op& op = graph.op(v);
    std::string buf("buildtool portable key v1", 26);
    PutDigest(&buf, graph.digest(v));
    PutU32(&buf, static_cast<std::uint32_t>(op.inputs.size()));
    for (std::size_t i = 0; i < op.inputs.size(); ++i) {
      const ir::Edge& edge = op.inputs[i];
      if (cache::PortableContextDigests* context = local_of(edge.vertex)) {
        buf.push_back('L');
        BT_ASSIGN_OR_RETURN(const std::string selections,
                            PortableSelections(op, static_cast<ir::InputIndex>(i), *context));
        buf += selections;
      } else {
        buf.push_back('K');
        PutDigest(&buf, keys[edge.vertex]);
        PutU32(&buf, edge.output);
      }
    }
    if (v < sources.size()) {
      if (const auto* d = std::get_if<DownloadedContent>(&sources[v])) {
        buf.push_back('C');
        PutDigest(&buf, d->digest);
      }
    }
    keys[v] = oci::Digest::Of(buf);
  }
  return keys;
}

std::vector<oci::Digest> ComputeCacheKeys(const ir::Graph& graph,
                                          const std::vector<SourceContent>& sources) {
  std::vector<oci::Digest> keys(graph.size());
  // Vertices are in topological order (Graph::Add), so inputs are keyed first.
  for (ir::VertexId v = 0; v < graph.size(); ++v) {
    const ir::Op& op = graph.op(v);
    std::string buf("buildtool cache key v1", 23);
    PutDigest(&buf, graph.digest(v));
    PutU32(&buf, static_cast<std::uint32_t>(op.inputs.size()));
    for (std::size_t i = 0; i < op.inputs.size(); ++i) {
      const ir::Edge& edge = op.inputs[i];
      const SourceContent* content = edge.vertex < sources.size() ? &sources[edge.vertex] : nullptr;
      if (content != nullptr && std::holds_alternative<const ContextTree*>(*content) &&
          std::get<const ContextTree*>(*content) != nullptr) {
        buf.push_back('L');
        buf +=
            Selections(op, static_cast<ir::InputIndex>(i), *std::get<const ContextTree*>(*content));
      } else {
        buf.push_back('K');
        PutDigest(&buf, keys[edge.vertex]);
        PutU32(&buf, edge.output);
      }
    }
    if (v < sources.size()) {
      std::visit(ir::Overloaded{
                     [&](const NoSourceContent&) {},
                     [&](const ContextTree* tree) {
                       if (tree == nullptr) return;
                       buf.push_back('C');
                       const cache::Checksum128 root = tree->root().checksum;
                       PutU64(&buf, root.high);
                       PutU64(&buf, root.low);
                     },
                     [&](const DownloadedContent& d) {
                       buf.push_back('C');
                       PutDigest(&buf, d.digest);
                     },
                 },
                 sources[v]);
    }
    keys[v] = oci::Digest::Of(buf);
  }
  return keys;
}

}  // namespace bt::solver
