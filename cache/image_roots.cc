#include "cache/image_roots.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "oci/manifest.h"

namespace bt::cache {
namespace {

constexpr int kMaxDepth = 8;  // an index of indexes of ... is never this deep in practice

void Reach(const ContentStore& content, const oci::Descriptor& d, int depth,
           std::set<oci::Digest>* out) {
  if (!out->insert(d.digest).second || depth > kMaxDepth) return;
  if (!oci::IsIndexMediaType(d.media_type) && !oci::IsManifestMediaType(d.media_type)) return;
  Result<std::string> text = content.ReadAll(d.digest, oci::kMaxManifestBytes, "manifest");
  if (!text) return;
  if (oci::IsIndexMediaType(d.media_type)) {
    Result<oci::ImageIndex> index = oci::ParseIndex(*text);
    if (!index) return;
    for (const oci::Descriptor& m : index->manifests) Reach(content, m, depth + 1, out);
    return;
  }
  Result<oci::ImageManifest> manifest = oci::ParseManifest(*text);
  if (!manifest) return;
  out->insert(manifest->config.digest);
  for (const oci::Descriptor& l : manifest->layers) out->insert(l.digest);
}

}  // namespace

std::set<oci::Digest> BlobsOf(const ContentStore& content, const oci::Descriptor& image) {
  std::set<oci::Digest> out;
  Reach(content, image, 0, &out);
  return out;
}

Result<std::optional<oci::ImageIndex>> ReadImageStoreIndex(const std::string& root_path) {
  const std::string file = root_path + "/images/index.json";
  std::ifstream in(file);
  if (!in) {
    if (::access(file.c_str(), F_OK) != 0) return std::optional<oci::ImageIndex>();
    return ErrnoError("open", file, errno);
  }
  std::stringstream text;
  text << in.rdbuf();
  Result<oci::ImageIndex> index = oci::ParseIndex(text.str());
  if (!index) {
    Error e = std::move(index).error().Wrap("image store " + file);
    e.code = ErrorCode::kDataLoss;
    return e;
  }
  return std::optional<oci::ImageIndex>(std::move(*index));
}

Result<std::set<oci::Digest>> ImageStoreBlobs(const std::string& root_path,
                                              const ContentStore& content) {
  std::set<oci::Digest> out;
  BT_ASSIGN_OR_RETURN(const std::optional<oci::ImageIndex> index, ReadImageStoreIndex(root_path));
  if (!index) return out;
  for (const oci::Descriptor& d : index->manifests) Reach(content, d, 0, &out);
  return out;
}

}  // namespace bt::cache
