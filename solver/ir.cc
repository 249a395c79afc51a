#include "solver/ir.h"
#include "solver/ir_overloaded.h"

#include <algorithm>
#include <limits>

#include "solver/ir_encoding.h"

namespace bt::ir {
namespace {

// Whether `output` is one of the outputs op produces. Source, file, merge and diff ops have
// output 0 only; an exec op has one output per mount that declares one.
bool HasOutput(const Op& op, std::uint32_t output) {
  if (const auto* exec = std::get_if<ExecOp>(&op.body)) {
    return std::any_of(exec->mounts.begin(), exec->mounts.end(),
                       [&](const Mount& m) { return m.output == output; });
  }
  return output == 0;
}

// Whether every InputIndex inside the body is kScratch or names one of op.inputs; a dangling
// index would make the solver read past the inputs it was given.
bool InputIndicesValid(const Op& op) {
  const auto valid = [&](InputIndex i) {
    return i == kScratch || (i >= 0 && static_cast<std::size_t>(i) < op.inputs.size());
  };
  return std::visit(Overloaded{
                        [](const SourceOp&) { return true; },
                        [&](const ExecOp& e) {
                          return std::all_of(e.mounts.begin(), e.mounts.end(), [&](const Mount& m) {
                            if (const auto* bind = std::get_if<BindMount>(&m.kind))
                              return valid(bind->source);
                            if (const auto* cache = std::get_if<CacheMount>(&m.kind)) {
                              return valid(cache->source);
                            }
                            return true;
                          });
                        },
                        [&](const FileOp& f) {
                          return valid(f.base) &&
                                 std::all_of(f.actions.begin(), f.actions.end(),
                                             [&](const FileAction& a) {
                                               const auto* copy = std::get_if<CopyAction>(&a);
                                               return copy == nullptr || valid(copy->source);
                                             });
                        },
                        [](const MergeOp&) { return true; },
                        [&](const DiffOp& d) { return valid(d.lower) && valid(d.upper); },
                    },
                    op.body);
}

}  // namespace

VertexId Graph::Add(Op op) {
  // The frontend builds ops from its own data; a bad edge or index is a bug in lowering,
  // not bad user input, so it aborts rather than returning an Error.
  for (const Edge& edge : op.inputs) {
    BT_CHECK(edge.vertex < ops_.size());
    BT_CHECK(HasOutput(ops_[edge.vertex], edge.output));
  }
  BT_CHECK(InputIndicesValid(op));

  oci::Digest digest = DigestOp(op, *this);
  if (auto it = by_digest_.find(digest); it != by_digest_.end()) return it->second;

  BT_CHECK(ops_.size() < std::numeric_limits<VertexId>::max());
  const auto id = static_cast<VertexId>(ops_.size());
  ops_.push_back(std::move(op));
  digests_.push_back(digest);
  by_digest_.emplace(digest, id);
  return id;
}

std::optional<VertexId> Graph::Find(const oci::Digest& digest) const {
  auto it = by_digest_.find(digest);
  if (it == by_digest_.end()) return std::nullopt;
  return it->second;
}

}  // namespace bt::ir
