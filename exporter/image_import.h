// Images that come from files rather than builds (issue 7's `import` and `load`):
//  - ImportRootfs: a root filesystem tarball as a one-layer image, as `docker import` makes
//    one. The tar (decompressed if it came compressed) is stored as an uncompressed layer
//    whose digest is its diffID.
//  - LoadArchive: `docker save` output (a docker-archive: manifest.json, configs, layer tars)
//    or an OCI image layout (index.json, blobs/), as a tar or a directory. Every blob goes into
//    the content store checked against its digest (a layout's blobs against their names, a
//    docker-archive's config against the name manifest.json gives it); layer tars of a legacy
//    docker-archive are stored as uncompressed layers and get an OCI manifest.
// Both return what to name: the image's manifest and the names the archive carried.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "cache/cache_root.h"
#include "oci/manifest.h"
#include "oci/platform.h"

namespace bt::exporter {

struct ImportedImage {
  oci::Descriptor manifest;
  std::vector<std::string> names;  // RepoTags / ref names found in the archive (unparsed)
};

// `tar_path`: a tar, plain or compressed with gzip, bzip2, xz or zstd ("-": standard input);
// the layer is stored uncompressed. kInvalidArgument when it is not one.
Result<ImportedImage> ImportRootfs(cache::CacheRoot& root, const std::string& tar_path,
                                   const oci::Platform& platform, std::int64_t created_ns);

// `path`: a tar file, "-" (standard input, a tar) or a directory. kInvalidArgument naming what
// is wrong with the archive (unsafe or unknown entries, no manifest.json/index.json, more than
// one image in a docker-archive's manifest.json is fine: each becomes an entry).
Result<std::vector<ImportedImage>> LoadArchive(cache::CacheRoot& root, const std::string& path);

}  // namespace bt::exporter
