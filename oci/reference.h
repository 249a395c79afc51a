// Reference: an image reference (`docker.io/library/busybox:latest@sha256:...`), normalized
// the way distribution's reference.ParseNormalizedNamed followed by TagNameOnly does, which is
// how BuildKit reads a Dockerfile's FROM. Plain value; thread-safe.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "oci/digest.h"

namespace bt::oci {

struct Reference {
  // The registry host with an optional port: "docker.io", "localhost:5000", "[::1]:5000".
  // Never empty once parsed; kept as written (an uppercase domain is allowed).
  std::string domain;
  // The repository inside the registry: lowercase components joined by '/', at most 255
  // characters; "library/busybox" for Docker Hub's official images.
  std::string path;
  // Empty only when digest is set (a digest alone pins the image; no default tag is added).
  std::string tag;
  std::optional<Digest> digest;

  // domain/path: the repository's full name.
  std::string Name() const;
  // "docker.io/library/busybox:latest", with "@sha256:..." when digest is set.
  std::string ToString() const;
  // As users write it: "busybox:latest", "user/app:1"; docker.io and library/ are dropped
  // (distribution's FamiliarString).
  std::string FamiliarString() const;

  auto operator<=>(const Reference&) const = default;
};

// Parses and normalizes text: "busybox" -> docker.io/library/busybox:latest,
// "user/app:1" -> docker.io/user/app:1. The first '/'-separated component is the domain when
// it contains '.' or ':', is "localhost", or has an uppercase letter; otherwise docker.io is
// used. kInvalidArgument, with distribution's wording ("invalid reference format",
// "repository name must be lowercase"), for anything else; only sha256 digests are accepted.
Result<Reference> ParseReference(std::string_view text);

}  // namespace bt::oci
