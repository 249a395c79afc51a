// Text views of a BuildDefinition for `buildtool debug ir`: JSON, to diff the frontend/solver
// contract between two builds, and Graphviz DOT, to look at the graph's shape. Both are
// deterministic (the same definition gives the same bytes) and for people and tests only:
// nothing parses them back, and their layout may change without a format version.
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "solver/ir.h"

namespace bt::ir {

// Pretty-printed JSON (2-space indent, trailing newline), fields in a fixed, readable order:
//   {"vertices": [{"digest", "kind", "platform", "inputs": [{"digest", "output"}],
//                  "op": {...every field of the op...},
//                  "metadata": {"description", "location": "file:start-end"|null}|null}, ...],
//    "target": {"digest", "output"}|null,
//    "image_config": <the image config as oci::SerializeImageConfig writes it>}
// Vertices are listed in graph order (topological). "kind" is source, exec, file, merge or
// diff; a variant (source, mount, file action) is an object whose "type" names the
// alternative; enums are lowercase words ("sandbox", "cache", "shared"); an InputIndex is a
// number, or null for kScratch; a zero (unset) digest and an absent optional are null;
// modes are octal strings ("0755"). Bytes that are not UTF-8 (MkfileAction::data) are shown
// as U+FFFD: the digest, not this view, is the identity.
std::string GraphToJson(const BuildDefinition& definition);

// A `digraph` with one node per vertex ("v<id>", labelled with its kind and the start of its
// description, or the short digest when it has no metadata) and one edge per input, from the
// input's vertex to the op, labelled with the output index when it is not 0. The target
// vertex is drawn with a double border.
std::string GraphToDot(const BuildDefinition& definition);

}  // namespace bt::ir
