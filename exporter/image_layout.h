// Writes a built image as an OCI image layout (image-spec image-layout.md): `oci-layout`,
// `index.json` naming the manifest, and `blobs/sha256/<hex>` for every blob — to a directory,
// or as a tar stream (to a file, atomically, or to standard output). With `docker_manifest`
// it also writes Docker's `manifest.json` (config path, RepoTags, layer paths), which makes the
// same tar a docker-archive that `docker load` reads, as BuildKit's type=docker output is.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cache/content_store.h"
#include "exporter/image_build.h"
#include "oci/reference.h"

namespace bt::exporter {

struct LayoutOptions {
  bool tar = true;               // false: a directory
  bool docker_manifest = false;  // type=docker: manifest.json beside index.json
  std::vector<oci::Reference> names;  // -t / name=: annotations and RepoTags
  std::int64_t mtime = 0;        // of the tar's entries (SOURCE_DATE_EPOCH when set)
};

// `dest` is a file for a tar ("-": standard output) or a directory (created; an existing one
// must be empty). kInvalidArgument for a destination that cannot be used, kIo otherwise.
Result<void> WriteImageLayout(const cache::ContentStore& content, const BuiltImage& image,
                              const std::string& dest, const LayoutOptions& options);

// index.json of a layout holding `image` under `names` (one entry per name; one without
// annotations when there is none). Exposed for the image store and the tests.
oci::ImageIndex LayoutIndex(const BuiltImage& image, const std::vector<oci::Reference>& names);

}  // namespace bt::exporter
