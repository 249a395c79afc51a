// FakeImageResolver: an in-memory ImageResolver for tests of the modules above oci/. Images
// are added by reference string (Reference::ToString(), e.g. "docker.io/library/busybox:latest")
// and looked up by the reference asked for, ignoring the platform; every call is counted, so a
// test can assert that a base image was resolved once. Not thread-safe.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "oci/image_resolver.h"

namespace bt::test {

class FakeImageResolver : public oci::ImageResolver {
 public:
  // Makes ref resolve to image (its reference field is set to ref).
  void Add(const oci::Reference& ref, oci::ResolvedImage image) {
    image.reference = ref;
    images_[ref.ToString()] = std::move(image);
  }
  // Makes every Resolve of ref fail with error (network trouble, for instance).
  void AddError(const oci::Reference& ref, Error error) {
    errors_[ref.ToString()] = std::move(error);
  }

  // kNotFound for a reference that was never added.
  Result<oci::ResolvedImage> Resolve(const oci::Reference& ref,
                                     const oci::Platform& platform) override {
    calls_.emplace_back(ref, platform);
    const std::string key = ref.ToString();
    if (auto it = errors_.find(key); it != errors_.end()) return it->second;
    auto it = images_.find(key);
    if (it == images_.end()) {
      return MakeError(ErrorCode::kNotFound, "resolve image " + key + ": not found");
    }
    return it->second;
  }

  int call_count() const { return static_cast<int>(calls_.size()); }
  // Every Resolve call, oldest first.
  const std::vector<std::pair<oci::Reference, oci::Platform>>& calls() const { return calls_; }

 private:
  std::map<std::string, oci::ResolvedImage> images_;
  std::map<std::string, Error> errors_;
  std::vector<std::pair<oci::Reference, oci::Platform>> calls_;
};

}  // namespace bt::test
