// What blob a committed snapshot's diff is: a small JSON file beside diff/
// (<root>/snapshots/<id>/<name>), written atomically and removed with the snapshot. The
// exporter remembers each blob it made this way ("layer-gzip", ...) so that exporting the
// same snapshot again compresses nothing; a snapshot unpacked from an image's layer records
// that blob as "layer-origin", so that the image built on it reuses the very blob (and
// diffID) the base had. A memo is a shortcut, checked against the content store before use;
// a damaged one reads as absent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "cache/snapshot/snapshot_store.h"
#include "oci/digest.h"

namespace bt::cache {

struct LayerMemo {
  oci::Digest digest;   // the blob
  std::int64_t size = 0;
  oci::Digest diff_id;  // of its uncompressed tar
  bool empty = false;   // the tar holds no entry
  std::string media_type;  // the blob's (origin memos; the exporter's own know their kind)
};

std::string LayerMemoPath(const SnapshotStore& store, const std::string& id,
                          const std::string& name);
std::optional<LayerMemo> ReadLayerMemo(const std::string& path);
Result<void> WriteLayerMemo(const std::string& path, const LayerMemo& memo);

}  // namespace bt::cache
