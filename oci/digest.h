// Digest: a content address in OCI form, `sha256:<64 lowercase hex>`. Only sha256 is
// supported; every digest that arrives as text is validated before it is used (it may
// become a path under blobs/). Values are immutable and cheap to copy; thread-safe.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace bt::oci {

class Digest {
 public:
  static constexpr std::size_t kSize = 32;

  Digest() = default;  // all zero; is_zero() until assigned
  explicit Digest(const std::array<std::uint8_t, kSize>& bytes) : bytes_(bytes) {}

  // Parses `sha256:<hex>`; kInvalidArgument unless it matches ^sha256:[a-f0-9]{64}$.
  static Result<Digest> Parse(std::string_view text);
  // SHA-256 of data.
  static Digest Of(std::string_view data);

  const std::array<std::uint8_t, kSize>& bytes() const { return bytes_; }
  std::string hex() const;       // 64 lowercase hex digits
  std::string ToString() const;  // "sha256:" + hex()
  bool is_zero() const;

  auto operator<=>(const Digest&) const = default;

 private:
  std::array<std::uint8_t, kSize> bytes_{};
};

// Streaming SHA-256 (OpenSSL EVP) for data that does not fit in memory at once.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(std::string_view data);
  Digest Finish();  // the hasher must not be used afterwards

 private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so OpenSSL headers stay out of ours
};

}  // namespace bt::oci
