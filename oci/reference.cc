#include "oci/reference.h"

#include <string>

#include "oci/error_quote.h"

// The grammar is distribution's (reference/regexp.go), checked by hand: the regular
// expressions there are anchored and unambiguous once the domain is split off, so a single
// left-to-right scan decides them without backtracking.
//
//   reference        := name [ ":" tag ] [ "@" digest ]
//   name             := [domain "/"] path-component ["/" path-component]*
//   domain           := host [":" port-number]
//   host             := domain-component ["." domain-component]* | "[" [a-fA-F0-9:]+ "]"
//   domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//   path-component   := [a-z0-9]+ (separator [a-z0-9]+)*
//   separator        := "." | "_" | "__" | "-"+
//   tag              := [\w][\w.-]{0,127}
//   digest           := algorithm ":" [0-9a-fA-F]{32,}
//   algorithm        := [A-Za-z][A-Za-z0-9]* ([-_+.][A-Za-z][A-Za-z0-9]*)*
namespace bt::oci {
namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepoPrefix = "library/";
constexpr std::string_view kDefaultTag = "latest";
constexpr std::size_t kMaxPathLength = 255;  // distribution's RepositoryNameTotalLengthMax
constexpr std::size_t kMaxTagLength = 128;
constexpr std::size_t kMaxQuoted = 256;  // a reference may be long and still valid
constexpr std::string_view kInvalidFormat = "invalid reference format";

Error InvalidReference(std::string_view text, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "invalid image reference " + QuoteCapped(text, kMaxQuoted) + ": " +
                       std::string(why));
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsLowerAlnum(c) || IsUpper(c); }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsWordChar(char c) { return IsAlnum(c) || c == '_'; }

bool HasUpper(std::string_view s) {
  for (char c : s) {
    if (IsUpper(c)) return true;
  }
  return false;
}

// distribution's anchoredIdentifierRegexp: a bare image id, which is never a repository.
bool IsIdentifier(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!IsDigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

bool IsDomainComponent(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return true;
}

bool IsPort(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

bool IsDomain(std::string_view s) {
  std::string_view host = s;
  std::string_view port;
  bool has_port = false;
  if (!s.empty() && s.front() == '[') {
    // An IPv6 literal: hex digits and colons only, so zone ids and IPv4-mapped forms fail.
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : s.substr(1, close - 1)) {
      if (!IsHexDigit(c) && c != ':') return false;
    }
    const std::string_view rest = s.substr(close + 1);
    if (rest.empty()) return true;
    return rest.front() == ':' && IsPort(rest.substr(1));
  }
  if (const std::size_t colon = s.find(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    has_port = true;
  }
  if (has_port && !IsPort(port)) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = host.find('.', start);
    if (!IsDomainComponent(host.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// Consumes path-component ("/" path-component)* from the front of s and returns its length,
// or 0 when s does not start with a valid path. The scan stops at ':' or '@' or the end; any
// other character is left for the caller to reject.
std::size_t ScanPath(std::string_view s) {
  std::size_t i = 0;
  while (true) {
    // One component: alphanumeric runs joined by single separators.
    if (i >= s.size() || !IsLowerAlnum(s[i])) return 0;
    while (i < s.size() && IsLowerAlnum(s[i])) ++i;
    while (i < s.size() && (s[i] == '.' || s[i] == '_' || s[i] == '-')) {
      const std::size_t sep_start = i;
      const char kind = s[i];
      while (i < s.size() && s[i] == kind) ++i;
      const std::size_t sep_len = i - sep_start;
      const bool valid_sep =
          kind == '-' || (kind == '_' && sep_len <= 2) || (kind == '.' && sep_len == 1);
      if (!valid_sep || i >= s.size() || !IsLowerAlnum(s[i])) return 0;
      while (i < s.size() && IsLowerAlnum(s[i])) ++i;
    }
    if (i < s.size() && s[i] == '/') {
      ++i;
      continue;
    }
    return i;
  }
}

bool IsTag(std::string_view s) {
  if (s.empty() || s.size() > kMaxTagLength || !IsWordChar(s.front())) return false;
  for (char c : s) {
    if (!IsWordChar(c) && c != '.' && c != '-') return false;
  }
  return true;
}

// distribution's digestPat; whether the algorithm is supported is Digest::Parse's business.
bool IsDigestSyntax(std::string_view s) {
  const std::size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view algorithm = s.substr(0, colon);
  const std::string_view hex = s.substr(colon + 1);
  if (hex.size() < 32) return false;
  for (char c : hex) {
    if (!IsHexDigit(c)) return false;
  }
  bool want_letter = true;  // at the start of each algorithm component
  for (char c : algorithm) {
    if (want_letter) {
      if (!IsUpper(c) && !(c >= 'a' && c <= 'z')) return false;
      want_letter = false;
    } else if (c == '-' || c == '_' || c == '+' || c == '.') {
      want_letter = true;
    } else if (!IsAlnum(c)) {
      return false;
    }
  }
  return !want_letter;
}

struct DomainSplit {
  std::string domain;
  std::string remainder;  // path [":" tag] ["@" digest]
};

// distribution's splitDockerDomain (normalize.go), including its rule that an uppercase
// first component is a domain, since a repository cannot be uppercase.
DomainSplit SplitDockerDomain(std::string_view text) {
  DomainSplit split;
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    // A single component is always a Docker Hub name ("localhost:5000" is a name and a tag).
    split.domain = kDefaultDomain;
    split.remainder = std::string(kOfficialRepoPrefix) + std::string(text);
    return split;
  }
  const std::string_view first = text.substr(0, slash);
  const std::string_view rest = text.substr(slash + 1);
  if (first == "localhost" || first.find_first_of(".:") != std::string_view::npos ||
      HasUpper(first)) {
    split.domain = first == kLegacyDefaultDomain ? kDefaultDomain : first;
    split.remainder = rest;
  } else {
    split.domain = kDefaultDomain;
    split.remainder = text;
  }
  if (split.domain == kDefaultDomain && split.remainder.find('/') == std::string::npos) {
    split.remainder.insert(0, kOfficialRepoPrefix);
  }
  return split;
}

}  // namespace

std::string Reference::Name() const { return domain + "/" + path; }

std::string Reference::ToString() const {
  std::string out = Name();
  if (!tag.empty()) out += ":" + tag;
  if (digest.has_value()) out += "@" + digest->ToString();
  return out;
}

std::string Reference::FamiliarString() const {
  std::string out;
  if (domain == kDefaultDomain) {
    // "library/x" becomes "x", but only one level deep, as distribution's familiarizeName.
    const bool official = path.compare(0, kOfficialRepoPrefix.size(), kOfficialRepoPrefix) == 0 &&
                          path.find('/', kOfficialRepoPrefix.size()) == std::string::npos;
    out = official ? path.substr(kOfficialRepoPrefix.size()) : path;
  } else {
    out = Name();
  }
  if (!tag.empty()) out += ":" + tag;
  if (digest.has_value()) out += "@" + digest->ToString();
  return out;
}

Result<Reference> ParseReference(std::string_view text) {
  if (IsIdentifier(text)) {
    return InvalidReference(text, "invalid repository name (" + std::string(text) +
                                      "), cannot specify 64-byte hexadecimal strings");
  }
  DomainSplit split = SplitDockerDomain(text);
  const std::string_view remainder = split.remainder;
  const std::string_view remote = remainder.substr(0, remainder.find(':'));
  if (HasUpper(remote)) {
    return InvalidReference(text, std::string(kInvalidFormat) + ": repository name (" +
                                      std::string(remote) + ") must be lowercase");
  }
  // distribution would fall back to reading a first component that is no valid domain (such
  // as "a_b.io") as part of the path, leaving the reference with no domain at all; no
  // registry can serve that, so it is rejected here.
  if (!IsDomain(split.domain)) return InvalidReference(text, kInvalidFormat);

  Reference ref;
  ref.domain = std::move(split.domain);
  const std::size_t path_len = ScanPath(remainder);
  if (path_len == 0) return InvalidReference(text, kInvalidFormat);
  ref.path = std::string(remainder.substr(0, path_len));
  std::string_view rest = remainder.substr(path_len);
  if (!rest.empty() && rest.front() == ':') {
    const std::size_t at = rest.find('@');
    const std::string_view tag = rest.substr(1, at == std::string_view::npos ? at : at - 1);
    if (!IsTag(tag)) return InvalidReference(text, kInvalidFormat);
    ref.tag = std::string(tag);
    rest = at == std::string_view::npos ? std::string_view() : rest.substr(at);
  }
  std::string_view digest_text;
  if (!rest.empty() && rest.front() == '@') {
    digest_text = rest.substr(1);
    if (!IsDigestSyntax(digest_text)) return InvalidReference(text, kInvalidFormat);
  } else if (!rest.empty()) {
    return InvalidReference(text, kInvalidFormat);
  }
  if (ref.path.size() > kMaxPathLength) {
    return InvalidReference(text, "repository name must not be more than 255 characters");
  }
  if (!digest_text.empty()) {
    auto digest = Digest::Parse(digest_text);
    if (!digest.has_value()) return InvalidReference(text, digest.error().message);
    ref.digest = *digest;
  }
  // TagNameOnly: a name alone means its "latest" tag.
  if (ref.tag.empty() && !ref.digest.has_value()) ref.tag = kDefaultTag;
  return ref;
}

}  // namespace bt::oci
