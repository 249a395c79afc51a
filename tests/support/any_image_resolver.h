// AnyImageResolver: every reference resolves to a one-layer image of the asked platform with
// an empty config, its digests derived from the reference. For tests and benchmarks that
// lower Dockerfiles without caring about their base images.
#pragma once

#include "oci/image_resolver.h"

namespace bt::test {

class AnyImageResolver : public oci::ImageResolver {
 public:
  Result<oci::ResolvedImage> Resolve(const oci::Reference& ref,
                                     const oci::Platform& platform) override {
    oci::ResolvedImage image;
    image.reference = ref;
    image.manifest_digest = oci::Digest::Of("manifest of " + ref.ToString());
    image.config.platform = platform;
    image.config.diff_ids.push_back(oci::Digest::Of("layer of " + ref.ToString()));
    return image;
  }
};

}  // namespace bt::test
