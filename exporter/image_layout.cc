#include "exporter/image_layout.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/unique_fd.h"
#include "cache/snapshot/chain_flatten.h"
#include "exporter/tar_writer.h"

namespace bt::exporter {
namespace {

constexpr std::string_view kLayoutFile = "{\"imageLayoutVersion\":\"1.0.0\"}";
constexpr std::size_t kCopyChunk = 1 << 20;

std::string BlobName(const oci::Digest& d) { return "blobs/sha256/" + d.hex(); }

// Docker's manifest.json: what `docker load` reads.
std::string DockerManifest(const BuiltImage& image, const std::vector<oci::Reference>& names) {
  nlohmann::ordered_json entry;
  entry["Config"] = BlobName(image.config.digest);
  nlohmann::ordered_json tags = nlohmann::ordered_json::array();
  for (const oci::Reference& n : names) {
    if (!n.tag.empty()) tags.push_back(n.FamiliarString());
  }
  entry["RepoTags"] = tags.empty() ? nlohmann::ordered_json(nullptr) : tags;
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const oci::Descriptor& l : image.layers) layers.push_back(BlobName(l.digest));
  entry["Layers"] = layers;
  return nlohmann::ordered_json::array({entry}).dump();
}

// The files of the layout other than blobs, in the order they are written.
std::vector<std::pair<std::string, std::string>> MetadataFiles(
    const BuiltImage& image, const LayoutOptions& options) {
  std::vector<std::pair<std::string, std::string>> files;
  files.emplace_back("oci-layout", std::string(kLayoutFile));
  files.emplace_back("index.json", oci::SerializeIndex(LayoutIndex(image, options.names)));
  if (options.docker_manifest) {
    files.emplace_back("manifest.json", DockerManifest(image, options.names));
  }
  return files;
}

Result<void> WriteTar(const cache::ContentStore& content, const BuiltImage& image, int fd,
                      const LayoutOptions& options) {
  FdTarSink sink(fd);
  TarWriter tar(sink);
  auto dir = [&](const std::string& path) {
    TarEntry e;
    e.path = path;
    e.type = TarType::kDirectory;
    e.mode = 0755;
    e.mtime_sec = options.mtime;
    return tar.WriteHeader(e);
  };
  const std::vector<std::pair<std::string, std::string>> files = MetadataFiles(image, options);
  BT_TRY(dir("blobs/"));
  BT_TRY(dir("blobs/sha256/"));
  std::vector<char> buffer(kCopyChunk);
  for (const oci::Digest& d : image.Blobs()) {
    BT_ASSIGN_OR_RETURN(UniqueFd blob, content.Open(d));
    BT_ASSIGN_OR_RETURN(const std::uint64_t size, content.Size(d));
    TarEntry e;
    e.path = BlobName(d);
    e.mode = 0644;
    e.size = size;
    e.mtime_sec = options.mtime;
    BT_TRY(tar.WriteHeader(e));
    std::uint64_t left = size;
    while (left > 0) {
      const ssize_t n = ::read(blob.get(), buffer.data(), std::min<std::uint64_t>(left, kCopyChunk));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError("read blob", d.ToString(), errno);
      if (n == 0) return ErrnoError("read blob", d.ToString(), EIO).Wrap("the blob is short");
      BT_TRY(tar.WriteData(std::string_view(buffer.data(), static_cast<std::size_t>(n))));
      left -= static_cast<std::uint64_t>(n);
    }
  }
  for (const auto& [name, text] : files) {
    TarEntry e;
    e.path = name;
    e.mode = 0644;
    e.size = text.size();
    e.mtime_sec = options.mtime;
    BT_TRY(tar.WriteHeader(e));
    BT_TRY(tar.WriteData(text));
  }
  BT_TRY(tar.Finish());
  return sink.Flush();
}

Result<void> MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoError("mkdir", path, errno);
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return ErrnoError("stat", path, errno);
  if (!S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidArgument, path + " exists and is not a directory");
  }
  return {};
}

Result<void> WriteDirectory(const cache::ContentStore& content, const BuiltImage& image,
                            const std::string& dest, const LayoutOptions& options) {
  BT_TRY(MakeDir(dest));
  {
    DIR* d = ::opendir(dest.c_str());
    if (d == nullptr) return ErrnoError("open", dest, errno);
    bool empty = true;
    while (const dirent* e = ::readdir(d)) {
      const std::string_view name = e->d_name;
      if (name != "." && name != "..") empty = false;
    }
    ::closedir(d);
    if (!empty) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "output directory " + dest + " is not empty: an image layout is written "
                       "into an empty or new directory");
    }
  }
  BT_TRY(MakeDir(dest + "/blobs"));
  BT_TRY(MakeDir(dest + "/blobs/sha256"));
  for (const oci::Digest& d : image.Blobs()) {
    BT_ASSIGN_OR_RETURN(UniqueFd blob, content.Open(d));
    const std::string path = dest + "/" + BlobName(d);
    BT_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(path, 0644));
    BT_TRY(cache::CopyFileContent(blob.get(), out.fd(), path));
    BT_TRY(out.Commit());
  }
  for (const auto& [name, text] : MetadataFiles(image, options)) {
    BT_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(dest + "/" + name, 0644));
    BT_TRY(out.Write(text));
    BT_TRY(out.Commit());
  }
  return {};
}

}  // namespace

oci::ImageIndex LayoutIndex(const BuiltImage& image, const std::vector<oci::Reference>& names) {
  oci::ImageIndex index;
  index.media_type = std::string(oci::media_type::kOciIndex);
  if (names.empty()) {
    index.manifests.push_back(image.manifest);
    return index;
  }
  for (const oci::Reference& n : names) {
    oci::Descriptor d = image.manifest;
    // As containerd and BuildKit write them: the full name for containerd, the tag alone as
    // the OCI ref name (skopeo's oci:DIR:TAG, umoci's --image DIR:TAG).
    d.annotations["io.containerd.image.name"] = n.ToString();
    if (!n.tag.empty()) d.annotations[std::string(oci::kRefNameAnnotation)] = n.tag;
    index.manifests.push_back(std::move(d));
  }
  return index;
}

Result<void> WriteImageLayout(const cache::ContentStore& content, const BuiltImage& image,
                              const std::string& dest, const LayoutOptions& options) {
  if (dest.empty()) return MakeError(ErrorCode::kInvalidArgument, "image output needs dest=PATH");
  if (!options.tar) return WriteDirectory(content, image, dest, options);
  if (dest == "-") return WriteTar(content, image, STDOUT_FILENO, options);
  // Written beside the destination and renamed over it: a symlink there is replaced, never
  // written through (SECURITY.md case 28), and a failed export leaves the old file.
  BT_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(dest, 0644));
  BT_TRY(WriteTar(content, image, file.fd(), options));
  return file.Commit();
}

}  // namespace bt::exporter
