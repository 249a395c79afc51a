// ImageStore: the local image store, <root>/images — an OCI image layout (image-spec
// image-layout.md) whose index.json names the images built with -t or loaded, so that skopeo
// (oci:<root>/images:<name>), umoci and any OCI tool read it as it is. Its blobs/ is a symlink
// to the cache root's content store (<root>/blobs, whose sha256/ holds every blob), so an image
// costs no copy; prune keeps every blob the index reaches (cache/image_roots.h).
//
// Each index entry is one name: annotation io.containerd.image.name holds the full reference
// ("docker.io/library/app:1") and org.opencontainers.image.ref.name the same text, so that
// names are unique in the index. Changes to index.json happen under <root>/images/index.lock
// (flock: several buildtool processes share a root) and replace the file atomically.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/manifest.h"
#include "oci/reference.h"

namespace bt::exporter {

struct StoredImage {
  std::string name;         // full reference, as stored
  oci::Descriptor manifest;  // the manifest (or index) the name points at
};

class ImageStore {
 public:
  // Creates the layout under `root_path` (the cache root) when missing. kIo on failure;
  // kDataLoss when index.json exists and does not parse.
  static Result<ImageStore> Open(const std::string& root_path);

  // Points `name` at `manifest` (replacing what it named before).
  Result<void> Tag(const oci::Reference& name, oci::Descriptor manifest);
  // Removes the name; false when it was not there.
  Result<bool> Untag(const oci::Reference& name);
  // The image a name points at; nullopt when there is none.
  Result<std::optional<StoredImage>> Find(const oci::Reference& name) const;
  // Every named image, by name.
  Result<std::vector<StoredImage>> List() const;

  const std::string& path() const { return path_; }  // <root>/images

 private:
  ImageStore(std::string root_path, std::string path)
      : root_path_(std::move(root_path)), path_(std::move(path)) {}
  Result<oci::ImageIndex> ReadIndex() const;
  Result<void> WriteIndex(const oci::ImageIndex& index);

  std::string root_path_;  // the cache root
  std::string path_;       // <root>/images
};

}  // namespace bt::exporter
