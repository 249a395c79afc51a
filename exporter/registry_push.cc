#include "exporter/registry_push.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>

#include <tbb/parallel_for.h>

#include "base/unique_fd.h"

namespace bt::exporter {

Result<PushReport> PushImage(const cache::ContentStore& content, oci::RegistryClient& registry,
                             const oci::Reference& ref, const std::string& manifest_json,
                             const std::string& media_type,
                             const std::map<oci::Digest, std::string>& mount_from) {
  BT_ASSIGN_OR_RETURN(const oci::ImageManifest manifest, oci::ParseManifest(manifest_json));
  std::vector<oci::Descriptor> blobs = manifest.layers;
  blobs.push_back(manifest.config);
  std::vector<Result<void>> results(blobs.size());
  std::atomic<std::size_t> uploaded{0}, skipped{0}, mounted{0};
  std::atomic<std::uint64_t> bytes{0};
  tbb::parallel_for(std::size_t{0}, blobs.size(), [&](std::size_t i) {
    const oci::Descriptor& d = blobs[i];
    results[i] = [&]() -> Result<void> {
      BT_ASSIGN_OR_RETURN(const bool present, registry.HasBlob(ref, d.digest));
      if (present) {
        ++skipped;
        return {};
      }
      if (auto from = mount_from.find(d.digest); from != mount_from.end() && from->second != ref.path) {
        BT_ASSIGN_OR_RETURN(const bool linked, registry.MountBlob(ref, d.digest, from->second));
        if (linked) {
          ++mounted;
          return {};
        }
      }
      BT_ASSIGN_OR_RETURN(UniqueFd fd, content.Open(d.digest));
      BT_ASSIGN_OR_RETURN(const std::uint64_t size, content.Size(d.digest));
      BT_TRY(registry.PutBlob(ref, d.digest, size,
                              [&](std::uint64_t offset, char* buf, std::size_t cap) -> Result<std::size_t> {
        for (;;) {
          const ssize_t n = ::pread(fd.get(), buf, cap, static_cast<off_t>(offset));
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) return ErrnoError("read blob", d.digest.ToString(), errno);
          return static_cast<std::size_t>(n);
        }
      }));
      ++uploaded;
      bytes += size;
      return {};
    }();
  });
  for (Result<void>& r : results) {
    if (!r) return std::move(r).error();
  }
  BT_TRY(registry.PutManifest(ref, manifest_json, media_type));
  return PushReport{uploaded.load(), mounted.load(), skipped.load(), bytes.load()};
}

}  // namespace bt::exporter
