// The image outputs of `buildtool build`: type=image (the local image store under the -t names
// or name=), type=oci and type=docker (an OCI layout, with Docker's manifest.json for docker,
// as a tar or with tar=false a directory). Their attributes, as buildx takes them:
// name=NAME[,NAME...], compression=gzip|zstd|uncompressed, compression-level=N,
// force-compression=true, oci-mediatypes=true|false (default: false for docker, which docker
// load expects, true otherwise: the image store is an OCI layout, and OCI tools such as skopeo
// look only at OCI manifests in one), rewrite-timestamp=true (file dates clamped to
// SOURCE_DATE_EPOCH), tar=false.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cache/cache_root.h"
#include "cache/lease.h"
#include "cli/output_spec.h"
#include "oci/image_config.h"
#include "oci/manifest.h"
#include "oci/reference.h"
#include "oci/registry_client.h"
#include "solver/progress.h"

namespace bt::cli {

bool IsImageOutput(const OutputSpec& spec);

// Checks an image output's attributes before the build runs. kInvalidArgument naming the
// attribute and what it accepts.
Result<void> CheckImageOutput(const OutputSpec& spec, const std::vector<oci::Reference>& tags);

// -t values, normalized ("app:1" -> docker.io/library/app:1). kInvalidArgument for a bad one.
Result<std::vector<oci::Reference>> ParseTags(const std::vector<std::string>& tags);

struct ImageExportContext {
  cache::CacheRoot* root = nullptr;
  cache::Lease* lease = nullptr;
  std::optional<std::string> snapshot;  // the result; nullopt: empty (FROM scratch alone)
  oci::ImageConfig config;
  std::vector<oci::Reference> tags;      // -t
  std::optional<std::int64_t> source_date_epoch;
  std::int64_t build_time_ns = 0;  // when the build started: every output's image date
  std::map<std::string, std::string> labels;  // --label
  oci::RegistryClient* registry = nullptr;    // for push=true
  solver::ProgressSink* progress = nullptr;
};

struct ExportedImage {
  oci::Descriptor manifest;  // its digest is the image id buildtool prints
  oci::Digest config;
  std::vector<oci::Reference> names;
};

// Builds the image (layers remembered per snapshot) and writes the output.
Result<ExportedImage> ExportImageOutput(const OutputSpec& spec, const ImageExportContext& ctx);

}  // namespace bt::cli
