#include "oci/digest.h"

#include <algorithm>

#include <openssl/evp.h>

#include "oci/error_quote.h"

namespace bt::oci {
namespace {

constexpr std::string_view kPrefix = "sha256:";
constexpr char kHexDigits[] = "0123456789abcdef";

int LowerHexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase is rejected: a digest has exactly one spelling
}

Error InvalidDigest(std::string_view text, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "invalid digest " + QuoteCapped(text) + ": " + std::string(why));
}

EVP_MD_CTX* Ctx(void* ctx) { return static_cast<EVP_MD_CTX*>(ctx); }

// SHA-256 fetched from the default provider once: EVP_sha256() would look it up again in
// every EVP_DigestInit_ex (a lock and a method-store search, five times the cost of an init),
// and the first fetch also initialises OpenSSL itself. Never freed: it lives as long as the
// process.
const EVP_MD* Sha256Method() {
  static const EVP_MD* const method = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  BT_CHECK(method != nullptr);
  return method;
}

}  // namespace

Result<Digest> Digest::Parse(std::string_view text) {
  if (text.substr(0, kPrefix.size()) != kPrefix) {
    return InvalidDigest(text, "want the algorithm prefix sha256:");
  }
  const std::string_view hex = text.substr(kPrefix.size());
  if (hex.size() != 2 * kSize) {
    return InvalidDigest(text, "want 64 hex digits after sha256:");
  }
  std::array<std::uint8_t, kSize> bytes{};
  for (std::size_t i = 0; i < kSize; ++i) {
    const int hi = LowerHexValue(hex[2 * i]);
    const int lo = LowerHexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidDigest(text, "want only lowercase hex digits [a-f0-9]");
    bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return Digest(bytes);
}

Digest Digest::Of(std::string_view data) {
  Sha256Hasher hasher;
  hasher.Update(data);
  return hasher.Finish();
}

std::string Digest::hex() const {
  std::string out(2 * kSize, '0');
  for (std::size_t i = 0; i < kSize; ++i) {
    out[2 * i] = kHexDigits[bytes_[i] >> 4];
    out[2 * i + 1] = kHexDigits[bytes_[i] & 0x0f];
  }
  return out;
}

std::string Digest::ToString() const { return std::string(kPrefix) + hex(); }

bool Digest::is_zero() const {
  return std::all_of(bytes_.begin(), bytes_.end(), [](std::uint8_t b) { return b == 0; });
}

// OpenSSL failures here mean no memory or a broken library build, which no caller can handle,
// so they are checks rather than Results.
Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  BT_CHECK(ctx_ != nullptr);
  BT_CHECK(EVP_DigestInit_ex(Ctx(ctx_), Sha256Method(), nullptr) == 1);
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(Ctx(ctx_)); }

void Sha256Hasher::Update(std::string_view data) {
  BT_CHECK(ctx_ != nullptr);  // Finish() was called
  BT_CHECK(EVP_DigestUpdate(Ctx(ctx_), data.data(), data.size()) == 1);
}

Digest Sha256Hasher::Finish() {
  BT_CHECK(ctx_ != nullptr);  // Finish() was called twice
  std::array<std::uint8_t, Digest::kSize> bytes{};
  unsigned int size = 0;
  BT_CHECK(EVP_DigestFinal_ex(Ctx(ctx_), bytes.data(), &size) == 1);
  BT_CHECK(size == Digest::kSize);
  // Freeing here makes any later use fail the check above instead of hashing garbage.
  EVP_MD_CTX_free(Ctx(ctx_));
  ctx_ = nullptr;
  return Digest(bytes);
}

}  // namespace bt::oci
