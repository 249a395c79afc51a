#include "exporter/image_import.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "exporter/image_build.h"
#include "oci/image_config.h"

namespace bt::exporter {
namespace {

constexpr std::size_t kChunk = 1 << 20;
constexpr std::size_t kMaxJsonBytes = 16u << 20;  // a config's limit (SECURITY.md decision 7)

Error Bad(const std::string& what, const std::string& why) {
  return MakeError(ErrorCode::kInvalidArgument, what + ": " + why);
}

// Ingests the bytes `read` yields (until it returns 0) as a blob; checks `expected` when given.
template <typename ReadFn>
Result<oci::Digest> IngestStream(cache::CacheRoot& root, const std::string& ref,
                                 std::optional<oci::Digest> expected, ReadFn read,
                                 std::uint64_t* size_out) {
  BT_ASSIGN_OR_RETURN(cache::IngestWriter writer, root.content().BeginIngest(ref));
  if (writer.offset() != 0) {
    BT_TRY(writer.Abort());
    BT_ASSIGN_OR_RETURN(writer, root.content().BeginIngest(ref));
  }
  std::vector<char> buffer(kChunk);
  std::uint64_t size = 0;
  for (;;) {
    Result<std::size_t> n = read(buffer.data(), buffer.size());
    if (!n) {
      (void)writer.Abort();
      return std::move(n).error();
    }
    if (*n == 0) break;
    BT_TRY(writer.Write(std::string_view(buffer.data(), *n)));
    size += *n;
  }
  if (size_out != nullptr) *size_out = size;
  return writer.Commit(size, expected);
}

Result<oci::Descriptor> PutJson(cache::CacheRoot& root, std::string media_type,
                                const std::string& bytes) {
  oci::Descriptor d;
  d.media_type = std::move(media_type);
  BT_ASSIGN_OR_RETURN(d.digest, root.content().Put(bytes));
  d.size = static_cast<std::int64_t>(bytes.size());
  return d;
}

// A path inside an archive, cleaned: no leading "./" or "/", no "..", no empty components.
std::optional<std::string> SafePath(std::string path) {
  while (path.rfind("./", 0) == 0) path.erase(0, 2);
  if (path.empty() || path[0] == '/') return std::nullopt;
  while (!path.empty() && path.back() == '/') path.pop_back();
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::string comp = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (comp.empty() || comp == "." || comp == "..") return std::nullopt;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return path;
}

// What a pass over an archive found.
struct ArchiveContents {
  std::map<std::string, std::string> json;     // small files by path: index.json, *.json
  std::map<std::string, oci::Digest> blobs;    // every other regular file, by path -> digest
};

bool IsSmallJson(const std::string& path) {
  return path == "index.json" || path == "manifest.json" || path == "oci-layout" ||
         (path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0 &&
          path.find('/') == std::string::npos);
}

Result<ArchiveContents> ReadArchive(cache::CacheRoot& root, const std::string& path) {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), &archive_read_free);
  archive_read_support_format_tar(a.get());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_filter_xz(a.get());
  const int rc = path == "-" ? archive_read_open_fd(a.get(), STDIN_FILENO, kChunk)
                             : archive_read_open_filename(a.get(), path.c_str(), kChunk);
  if (rc != ARCHIVE_OK) return Bad(path, archive_error_string(a.get()));
  ArchiveContents out;
  archive_entry* entry = nullptr;
  for (;;) {
    const int next = archive_read_next_header(a.get(), &entry);
    if (next == ARCHIVE_EOF) break;
    if (next != ARCHIVE_OK) return Bad(path, archive_error_string(a.get()));
    const char* raw = archive_entry_pathname(entry);
    const mode_t type = archive_entry_filetype(entry);
    const std::string raw_name = raw != nullptr ? raw : "";
    if (type == AE_IFDIR && (raw_name == "." || raw_name == "./")) continue;  // the archive's root
    const std::optional<std::string> name = SafePath(raw_name);
    if (!name) return Bad(path, "unsafe entry name " + raw_name);
    if (type == AE_IFDIR) continue;
    if (type != AE_IFREG) {
      // Image archives hold files and directories; a link could make a blob read elsewhere.
      return Bad(path, "entry " + *name + " is not a regular file");
    }
    auto read = [&](char* buf, std::size_t cap) -> Result<std::size_t> {
      const la_ssize_t n = archive_read_data(a.get(), buf, cap);
      if (n < 0) return Bad(path, archive_error_string(a.get()));
      return static_cast<std::size_t>(n);
    };
    if (IsSmallJson(*name)) {
      std::string text;
      std::vector<char> buf(kChunk);
      for (;;) {
        BT_ASSIGN_OR_RETURN(const std::size_t n, read(buf.data(), buf.size()));
        if (n == 0) break;
        text.append(buf.data(), n);
        if (text.size() > kMaxJsonBytes) return Bad(path, *name + " is over 16 MiB");
      }
      out.json[*name] = std::move(text);
      continue;
    }
    std::optional<oci::Digest> expected;
    if (name->rfind("blobs/sha256/", 0) == 0) {
      Result<oci::Digest> d = oci::Digest::Parse("sha256:" + name->substr(13));
      if (!d) return Bad(path, "blob " + *name + " is not named by a sha256 digest");
      expected = *d;
    }
    Result<oci::Digest> digest = IngestStream(root, "load " + *name, expected, read, nullptr);
    if (!digest) return std::move(digest).error().Wrap(path + ": " + *name);
    out.blobs[*name] = *digest;
  }
  return out;
}

// An OCI layout directory: only index.json and the blobs it reaches are read.
Result<ArchiveContents> ReadLayoutDirectory(cache::CacheRoot& root, const std::string& dir) {
  ArchiveContents out;
  std::ifstream in(dir + "/index.json");
  if (!in) return Bad(dir, "no index.json: not an OCI image layout");
  std::stringstream text;
  text << in.rdbuf();
  out.json["index.json"] = text.str();
  BT_ASSIGN_OR_RETURN(const oci::ImageIndex index, oci::ParseIndex(text.str()));
  std::vector<oci::Descriptor> todo = index.manifests;
  for (std::size_t i = 0; i < todo.size() && i < 100000; ++i) {
    const oci::Descriptor d = todo[i];
    const std::string name = "blobs/sha256/" + d.digest.hex();
    if (out.blobs.count(name)) continue;
    UniqueFd fd(::open((dir + "/" + name).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return ErrnoError("open", dir + "/" + name, errno);
    auto read = [&](char* buf, std::size_t cap) -> Result<std::size_t> {
      for (;;) {
        const ssize_t n = ::read(fd.get(), buf, cap);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return ErrnoError("read", dir + "/" + name, errno);
        return static_cast<std::size_t>(n);
      }
    };
    BT_ASSIGN_OR_RETURN(const oci::Digest got, IngestStream(root, "load " + name, d.digest, read, nullptr));
    out.blobs[name] = got;
    // Follow manifests and indexes to what they name.
    if (oci::IsIndexMediaType(d.media_type) || oci::IsManifestMediaType(d.media_type)) {
      std::ifstream blob(root.content().BlobPath(got), std::ios::binary);
      std::stringstream body;
      body << blob.rdbuf();
      if (oci::IsIndexMediaType(d.media_type)) {
        BT_ASSIGN_OR_RETURN(const oci::ImageIndex inner, oci::ParseIndex(body.str()));
        todo.insert(todo.end(), inner.manifests.begin(), inner.manifests.end());
      } else {
        BT_ASSIGN_OR_RETURN(const oci::ImageManifest m, oci::ParseManifest(body.str()));
        todo.push_back(m.config);
        todo.insert(todo.end(), m.layers.begin(), m.layers.end());
      }
    }
  }
  return out;
}

std::vector<std::string> NamesOf(const oci::Descriptor& d) {
  for (const char* key : {"io.containerd.image.name", "org.opencontainers.image.ref.name"}) {
    auto it = d.annotations.find(key);
    if (it != d.annotations.end() && !it->second.empty()) return {it->second};
  }
  return {};
}

Result<std::vector<ImportedImage>> FromLayout(cache::CacheRoot& root, const ArchiveContents& c,
                                              const std::string& path) {
  BT_ASSIGN_OR_RETURN(const oci::ImageIndex index, oci::ParseIndex(c.json.at("index.json")));
  std::vector<ImportedImage> out;
  for (const oci::Descriptor& d : index.manifests) {
    if (!root.content().Contains(d.digest)) {
      return Bad(path, "index.json names " + d.digest.ToString() + ", which the archive lacks");
    }
    ImportedImage image;
    image.manifest = d;
    image.manifest.annotations.clear();
    image.names = NamesOf(d);
    out.push_back(std::move(image));
  }
  return out;
}

// A docker-archive's manifest.json: [{"Config": PATH, "RepoTags": [...], "Layers": [PATH...]}].
Result<std::vector<ImportedImage>> FromDockerArchive(cache::CacheRoot& root,
                                                     const ArchiveContents& c,
                                                     const std::string& path) {
  const nlohmann::json j = nlohmann::json::parse(c.json.at("manifest.json"), nullptr, false);
  if (!j.is_array()) return Bad(path, "manifest.json is not a JSON array");
  std::vector<ImportedImage> out;
  for (const nlohmann::json& e : j) {
    if (!e.is_object() || !e.contains("Config") || !e["Config"].is_string() ||
        !e.contains("Layers") || !e["Layers"].is_array()) {
      return Bad(path, "manifest.json entry without Config and Layers");
    }
    const std::string config_path = e["Config"].get<std::string>();
    std::string config_text;
    if (auto it = c.json.find(config_path); it != c.json.end()) {
      config_text = it->second;
    } else if (auto b = c.blobs.find(config_path); b != c.blobs.end()) {
      std::ifstream in(root.content().BlobPath(b->second), std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      config_text = text.str();
    } else {
      return Bad(path, "manifest.json names config " + config_path + ", which the archive lacks");
    }
    BT_ASSIGN_OR_RETURN(const oci::ImageConfig config, oci::ParseImageConfig(config_text));
    if (config.diff_ids.size() != e["Layers"].size()) {
      return Bad(path, config_path + " lists " + std::to_string(config.diff_ids.size()) +
                           " layers and manifest.json " + std::to_string(e["Layers"].size()));
    }
    oci::ImageManifest manifest;
    manifest.media_type = std::string(oci::media_type::kOciManifest);
    BT_ASSIGN_OR_RETURN(manifest.config,
                        PutJson(root, std::string(oci::media_type::kOciConfig), config_text));
    for (std::size_t i = 0; i < e["Layers"].size(); ++i) {
      if (!e["Layers"][i].is_string()) return Bad(path, "manifest.json: a layer path is not a string");
      const std::string layer_path = e["Layers"][i].get<std::string>();
      auto b = c.blobs.find(layer_path);
      if (b == c.blobs.end()) return Bad(path, "manifest.json names layer " + layer_path + ", which the archive lacks");
      // docker save writes layers uncompressed: the tar's digest is its diffID.
      if (b->second != config.diff_ids[i]) {
        return MakeError(ErrorCode::kDataLoss, path + ": layer " + layer_path + " is " +
                                                   b->second.ToString() + ", the config says " +
                                                   config.diff_ids[i].ToString());
      }
      BT_ASSIGN_OR_RETURN(const std::uint64_t size, root.content().Size(b->second));
      manifest.layers.push_back(oci::Descriptor{std::string(oci::media_type::kOciLayer), b->second,
                                                static_cast<std::int64_t>(size), {}, {}});
    }
    ImportedImage image;
    BT_ASSIGN_OR_RETURN(image.manifest, PutJson(root, std::string(oci::media_type::kOciManifest),
                                                oci::SerializeManifest(manifest)));
    image.manifest.platform = config.platform;
    if (e.contains("RepoTags") && e["RepoTags"].is_array()) {
      for (const nlohmann::json& t : e["RepoTags"]) {
        if (t.is_string()) image.names.push_back(t.get<std::string>());
      }
    }
    out.push_back(std::move(image));
  }
  return out;
}

// The first block of a tar: a ustar or old-style header whose checksum holds.
bool LooksLikeTar(const char* block, std::size_t n) {
  if (n < 512) return false;
  unsigned long want = 0;
  for (int i = 148; i < 156; ++i) {
    if (block[i] >= '0' && block[i] <= '7') want = want * 8 + static_cast<unsigned long>(block[i] - '0');
  }
  unsigned long sum = 0;
  for (int i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(block[i]);
  return sum == want && sum != 8 * ' ';
}

}  // namespace

Result<ImportedImage> ImportRootfs(cache::CacheRoot& root, const std::string& tar_path,
                                   const oci::Platform& platform, std::int64_t created_ns) {
  UniqueFd fd(tar_path == "-" ? ::dup(STDIN_FILENO)
                              : ::open(tar_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open", tar_path, errno);
  // As docker import: the tar may come compressed (gzip, bzip2, xz, zstd); libarchive's raw
  // format hands out the decompressed stream, and the layer is stored uncompressed.
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), &archive_read_free);
  archive_read_support_format_raw(a.get());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_entry* entry = nullptr;
  if (archive_read_open_fd(a.get(), fd.get(), kChunk) != ARCHIVE_OK ||
      archive_read_next_header(a.get(), &entry) != ARCHIVE_OK) {
    return Bad(tar_path, std::string("not a tar archive: ") + archive_error_string(a.get()));
  }
  bool first = true;
  auto read = [&](char* buf, std::size_t cap) -> Result<std::size_t> {
    std::size_t got = 0;
    while (got < cap) {
      const la_ssize_t n = archive_read_data(a.get(), buf + got, cap - got);
      if (n < 0) return Bad(tar_path, archive_error_string(a.get()));
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (first) {
      first = false;
      if (!LooksLikeTar(buf, got)) return Bad(tar_path, "not a tar archive (nor a compressed one)");
    }
    return got;
  };
  std::uint64_t size = 0;
  BT_ASSIGN_OR_RETURN(const oci::Digest layer,
                      IngestStream(root, "import " + tar_path, std::nullopt, read, &size));
  oci::ImageConfig config;
  config.platform = platform;
  config.created = FormatImageTime(created_ns / 1000000000, created_ns % 1000000000);
  config.diff_ids = {layer};
  oci::HistoryEntry h;
  h.created = config.created;
  h.created_by = "buildtool import";
  h.comment = "imported from " + tar_path;
  config.history.push_back(h);
  oci::ImageManifest manifest;
  manifest.media_type = std::string(oci::media_type::kOciManifest);
  BT_ASSIGN_OR_RETURN(manifest.config, PutJson(root, std::string(oci::media_type::kOciConfig),
                                               oci::SerializeImageConfig(config)));
  manifest.layers.push_back(oci::Descriptor{std::string(oci::media_type::kOciLayer), layer,
                                            static_cast<std::int64_t>(size), {}, {}});
  ImportedImage image;
  BT_ASSIGN_OR_RETURN(image.manifest, PutJson(root, std::string(oci::media_type::kOciManifest),
                                              oci::SerializeManifest(manifest)));
  image.manifest.platform = platform;
  return image;
}

Result<std::vector<ImportedImage>> LoadArchive(cache::CacheRoot& root, const std::string& path) {
  struct stat st;
  ArchiveContents contents;
  if (path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    BT_ASSIGN_OR_RETURN(contents, ReadLayoutDirectory(root, path));
  } else {
    BT_ASSIGN_OR_RETURN(contents, ReadArchive(root, path));
  }
  if (contents.json.count("index.json")) return FromLayout(root, contents, path);
  if (contents.json.count("manifest.json")) return FromDockerArchive(root, contents, path);
  return Bad(path, "neither an OCI image layout (index.json) nor a docker-archive (manifest.json)");
}

}  // namespace bt::exporter
