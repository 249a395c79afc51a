// ImageResolver: the seam through which the frontend learns what a base image is. Given a
// reference and a platform it answers with the manifest digest that pins the image and the
// image's config. The registry client and the local image store implement it and cli/ chains
// them; tests use tests/support/fake_image_resolver.h. Implementations say whether they are
// thread-safe; the frontend calls Resolve from one thread.
#pragma once

#include "base/result.h"
#include "oci/digest.h"
#include "oci/image_config.h"
#include "oci/platform.h"
#include "oci/reference.h"

namespace bt::oci {

struct ResolvedImage {
  Reference reference;     // as asked for, normalized
  Digest manifest_digest;  // the platform's image manifest (not the index), for pinning
  ImageConfig config;
};

class ImageResolver {
 public:
  virtual ~ImageResolver() = default;

  // The image ref names, for platform. kNotFound when the image (or that platform of it) does
  // not exist; kUnavailable for network trouble; kDataLoss for content that fails its digest;
  // kInvalidArgument for a config that does not parse.
  virtual Result<ResolvedImage> Resolve(const Reference& ref, const Platform& platform) = 0;
};

}  // namespace bt::oci
