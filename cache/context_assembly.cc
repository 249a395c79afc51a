#include "cache/context_assembly.h"

#include <algorithm>
#include <utility>

#include "cache/context_checksum.h"

namespace bt::cache {
namespace {

struct Assembled {
  Checksum128 root_checksum;
  size_t nodes = 1;  // the root and every present entry below it
};

// Children before parents: returns the first error in tree order, leaves out the empty
// directories entered only for what might be inside them, and sets every directory's
// checksum. Iterative, so a deep tree needs no deep stack.
Result<Assembled> Finish(ScannedDir* top) {
  Assembled out;
  struct Frame {
    ScannedDir* dir;
    ScannedEntry* owner;  // the entry naming `dir`; nullptr for the root
    size_t next = 0;
  };
  std::vector<Frame> stack = {{top, nullptr}};
  std::string scratch;
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.next == 0 && f.dir->error) return std::move(*f.dir->error);
    if (f.next < f.dir->entries.size()) {
      ScannedEntry& e = f.dir->entries[f.next++];
      if (e.error) return std::move(*e.error);
      if (e.present && e.dir) stack.push_back({e.dir.get(), &e});
      continue;
    }
    ScannedDir& dir = *f.dir;
    ScannedEntry* owner = f.owner;
    stack.pop_back();
    dir.present = static_cast<uint32_t>(std::count_if(
        dir.entries.begin(), dir.entries.end(), [](const ScannedEntry& e) { return e.present; }));
    if (owner != nullptr && (dir.excluded || !dir.included) && dir.present == 0) {
      owner->present = false;
      continue;
    }
    out.nodes += dir.present;
    const ContextNode root;
    // The root's own header is left out (see ContextTree::ChecksumOf).
    DirChecksumBuilder sum(owner != nullptr ? owner->node : root,
                           owner != nullptr ? DirChecksumBuilder::Header::kInclude
                                            : DirChecksumBuilder::Header::kOmit,
                           dir.present, &scratch);
    for (const ScannedEntry& e : dir.entries) {
      if (e.present) sum.AddChild(e.node.name, e.node.checksum);
    }
    (owner != nullptr ? owner->node.checksum : out.root_checksum) = sum.Finish();
  }
  return out;
}

// The nodes in tree order: a directory before its children, children by name.
std::vector<ContextNode> Flatten(ScannedDir* top, const Assembled& assembled) {
  std::vector<ContextNode> nodes;
  nodes.reserve(assembled.nodes);
  nodes.emplace_back();
  nodes[0].type = ContextNodeType::kDirectory;
  nodes[0].checksum = assembled.root_checksum;
  nodes[0].children.reserve(top->present);
  struct Frame {
    ScannedDir* dir;
    uint32_t index;
    size_t next = 0;
  };
  std::vector<Frame> stack = {{top, 0}};
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.next == f.dir->entries.size()) {
      stack.pop_back();
      continue;
    }
    ScannedEntry& e = f.dir->entries[f.next++];
    if (!e.present) continue;
    const auto index = static_cast<uint32_t>(nodes.size());
    nodes[f.index].children.push_back(index);
    nodes.push_back(std::move(e.node));
    if (e.dir) {
      nodes.back().children.reserve(e.dir->present);
      stack.push_back({e.dir.get(), index});
    }
  }
  return nodes;
}

}  // namespace

Result<std::vector<ContextNode>> AssembleNodes(ScannedDir* top) {
  BT_ASSIGN_OR_RETURN(const Assembled assembled, Finish(top));
  return Flatten(top, assembled);
}

}  // namespace bt::cache
