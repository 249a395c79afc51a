#include "exporter/image_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/atomic_file.h"
#include "base/file_lock.h"
#include "cache/image_roots.h"

namespace bt::exporter {
namespace {

constexpr std::string_view kNameAnnotation = "io.containerd.image.name";

std::string NameOf(const oci::Descriptor& d) {
  auto it = d.annotations.find(std::string(kNameAnnotation));
  if (it != d.annotations.end()) return it->second;
  it = d.annotations.find(std::string(oci::kRefNameAnnotation));
  return it != d.annotations.end() ? it->second : std::string();
}

Result<void> WriteNew(const std::string& path, std::string_view text) {
  BT_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(path, 0644));
  BT_TRY(file.Write(text));
  return file.Commit();
}

}  // namespace

Result<ImageStore> ImageStore::Open(const std::string& root_path) {
  const std::string path = root_path + "/images";
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoError("mkdir", path, errno);
  struct stat st;
  const std::string blobs = path + "/blobs";
  if (::lstat(blobs.c_str(), &st) != 0) {
    if (errno != ENOENT) return ErrnoError("stat", blobs, errno);
    // The content store's own blobs/ (sha256/ inside): every blob is already where an OCI
    // layout looks for it.
    if (::symlink("../blobs", blobs.c_str()) != 0 && errno != EEXIST) {
      return ErrnoError("symlink", blobs, errno);
    }
  }
  ImageStore store(root_path, path);
  if (::access((path + "/oci-layout").c_str(), F_OK) != 0) {
    BT_TRY(WriteNew(path + "/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}"));
  }
  if (::access((path + "/index.json").c_str(), F_OK) != 0) {
    BT_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(path + "/index.lock", LockMode::kExclusive));
    if (::access((path + "/index.json").c_str(), F_OK) != 0) {
      oci::ImageIndex empty;
      empty.media_type = std::string(oci::media_type::kOciIndex);
      BT_TRY(store.WriteIndex(empty));
    }
  }
  return store;
}

Result<oci::ImageIndex> ImageStore::ReadIndex() const {
  BT_ASSIGN_OR_RETURN(std::optional<oci::ImageIndex> index, cache::ReadImageStoreIndex(root_path_));
  if (!index) return ErrnoError("open", path_ + "/index.json", ENOENT);
  return std::move(*index);
}

Result<void> ImageStore::WriteIndex(const oci::ImageIndex& index) {
  return WriteNew(path_ + "/index.json", oci::SerializeIndex(index));
}

Result<void> ImageStore::Tag(const oci::Reference& name, oci::Descriptor manifest) {
  BT_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(path_ + "/index.lock", LockMode::kExclusive));
  BT_ASSIGN_OR_RETURN(oci::ImageIndex index, ReadIndex());
  const std::string full = name.ToString();
  manifest.annotations[std::string(kNameAnnotation)] = full;
  manifest.annotations[std::string(oci::kRefNameAnnotation)] = full;
  // A rebuild that changed nothing names the same image again: nothing to write (and no
  // fsync in a fully cached build).
  for (const oci::Descriptor& d : index.manifests) {
    if (d == manifest) return {};
  }
  std::erase_if(index.manifests, [&](const oci::Descriptor& d) { return NameOf(d) == full; });
  index.manifests.push_back(std::move(manifest));
  std::sort(index.manifests.begin(), index.manifests.end(),
            [](const oci::Descriptor& a, const oci::Descriptor& b) { return NameOf(a) < NameOf(b); });
  return WriteIndex(index);
}

Result<bool> ImageStore::Untag(const oci::Reference& name) {
  BT_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(path_ + "/index.lock", LockMode::kExclusive));
  BT_ASSIGN_OR_RETURN(oci::ImageIndex index, ReadIndex());
  const std::string full = name.ToString();
  const std::size_t removed =
      std::erase_if(index.manifests, [&](const oci::Descriptor& d) { return NameOf(d) == full; });
  if (removed == 0) return false;
  BT_TRY(WriteIndex(index));
  return true;
}

Result<std::optional<StoredImage>> ImageStore::Find(const oci::Reference& name) const {
  BT_ASSIGN_OR_RETURN(const std::vector<StoredImage> all, List());
  const std::string full = name.ToString();
  for (const StoredImage& image : all) {
    if (image.name == full) return std::optional<StoredImage>(image);
  }
  return std::optional<StoredImage>();
}

Result<std::vector<StoredImage>> ImageStore::List() const {
  BT_ASSIGN_OR_RETURN(const oci::ImageIndex index, ReadIndex());
  std::vector<StoredImage> out;
  for (const oci::Descriptor& d : index.manifests) {
    const std::string name = NameOf(d);
    if (name.empty()) continue;
    out.push_back(StoredImage{name, d});
  }
  return out;
}

}  // namespace bt::exporter
