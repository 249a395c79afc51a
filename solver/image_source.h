// UnpackImage: the result of `FROM image` — the image's layers, bottom first, each applied
// as a snapshot on the one below it (cache/snapshot/layer_apply: the safety rules of layers,
// OCI whiteouts as overlay whiteouts), from blobs already in the content store (the local
// image store's, or a pull's). Each snapshot records the blob it came from ("layer-origin",
// cache/snapshot/layer_memo.h), so an image built on this one carries the base's very layers.
// The manifest is read by the digest the frontend pinned; its blobs are verified by the
// content store's own naming. Only the top snapshot is the step's output.
#pragma once

#include <vector>

#include "base/result.h"
#include "cache/cache_root.h"
#include "solver/ir.h"
#include "solver/step_runner.h"

namespace bt::solver {

// Published limits (SECURITY.md decision 7) for a base image's layers: what one layer may
// unpack to, in regular-file bytes and in entries.
inline constexpr std::uint64_t kMaxLayerBytes = 64ull << 30;
inline constexpr std::uint64_t kMaxLayerEntries = 10'000'000;

// kNotFound naming the image when its manifest or a layer is not in the content store;
// kInvalidArgument for a manifest that does not parse or a layer type that is not a tar;
// ApplyLayer's errors.
Result<std::vector<StepOutput>> UnpackImage(const StepContext& ctx, const ir::ImageSource& image,
                                            cache::CacheRoot& root);

}  // namespace bt::solver
