#include "solver/http_file_name.h"

#include <cctype>
#include <map>
#include <optional>

namespace bt::solver {
namespace {

constexpr char kDefaultFileName[] = "download";  // pathutil.SafeFileName's fallback

// The byte length of the Unicode white space (Go's unicode.IsSpace) that starts at s[i], or 0.
std::size_t SpaceAt(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
  };
  const unsigned char c = b(0);
  if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
  if (c == 0xC2 && (b(1) == 0x85 || b(1) == 0xA0)) return 2;  // U+0085, U+00A0
  if (c == 0xE1 && b(1) == 0x9A && b(2) == 0x80) return 3;    // U+1680
  if (c == 0xE2 && b(1) == 0x80) {
    const unsigned char t = b(2);
    if ((t >= 0x80 && t <= 0x8A) || t == 0xA8 || t == 0xA9 || t == 0xAF)
      return 3;  // U+2000-200A, 2028, 2029, 202F
  }
  if (c == 0xE2 && b(1) == 0x81 && b(2) == 0x9F) return 3;  // U+205F
  if (c == 0xE3 && b(1) == 0x80 && b(2) == 0x80) return 3;  // U+3000
  return 0;
}

std::string_view TrimLeftSpace(std::string_view s) {
  std::size_t n;
  while (!s.empty() && (n = SpaceAt(s, 0)) != 0) s.remove_prefix(n);
  return s;
}

// strings.TrimSpace: white space of 1 to 3 bytes may end the text.
std::string_view TrimSpace(std::string_view s) {
  s = TrimLeftSpace(s);
  while (!s.empty()) {
    std::size_t cut = 0;
    for (std::size_t len = 1; len <= 3 && len <= s.size() && cut == 0; ++len) {
      if (SpaceAt(s, s.size() - len) == len) cut = len;
    }
    if (cut == 0) break;
    s.remove_suffix(cut);
  }
  return s;
}

// Go's unicode.IsControl over the runes of s: C0, DEL and the C1 range U+0080-U+009F (UTF-8
// C2 80..C2 9F); a byte that is not valid UTF-8 reads as U+FFFD, which is no control.
bool HasControl(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size()) {
      const auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

// path.Base and (on Linux) filepath.Base.
std::string_view BaseName(std::string_view p) {
  if (p.empty()) return ".";
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  if (p.empty()) return "/";
  const std::size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsTSpecial(char c) {
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos;
}
bool IsTokenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7F && !IsTSpecial(c);
}

// Splits a leading RFC 2045 token off `v`; empty when `v` does not start with one.
std::string_view ConsumeToken(std::string_view& v) {
  std::size_t n = 0;
  while (n < v.size() && IsTokenChar(v[n])) ++n;
  const std::string_view token = v.substr(0, n);
  v.remove_prefix(n);
  return token;
}

// A token or a quoted string (mime's consumeValue); nullopt, with `v` untouched, on failure.
std::optional<std::string> ConsumeValue(std::string_view& v) {
  if (v.empty()) return std::nullopt;
  if (v[0] != '"') {
    std::string_view rest = v;
    const std::string_view token = ConsumeToken(rest);
    if (token.empty()) return std::nullopt;
    v = rest;
    return std::string(token);
  }
  std::string out;
  for (std::size_t i = 1; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '"') {
      v.remove_prefix(i + 1);
      return out;
    }
    // A backslash escapes only a tspecial; before anything else it is a literal backslash
    // (Go's concession to MSIE's unescaped Windows paths).
    if (c == '\\' && i + 1 < v.size() && IsTSpecial(v[i + 1])) {
      out += v[++i];
      continue;
    }
    if (c == '\r' || c == '\n') return std::nullopt;
    out += c;
  }
  return std::nullopt;
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int HexValue(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

// "%XX" decoding; nullopt when a '%' is not followed by two hex digits.
std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !IsHex(s[i + 1]) || !IsHex(s[i + 2])) return std::nullopt;
    out += static_cast<char>(HexValue(s[i + 1]) << 4 | HexValue(s[i + 2]));
    i += 2;
  }
  return out;
}

// RFC 2231 charset'language'value, for the two charsets Go decodes.
std::optional<std::string> Decode2231(std::string_view v) {
  const std::size_t q1 = v.find('\'');
  if (q1 == std::string_view::npos) return std::nullopt;
  const std::size_t q2 = v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return std::nullopt;
  const std::string charset = AsciiLower(v.substr(0, q1));
  if (charset != "us-ascii" && charset != "utf-8") return std::nullopt;
  return PercentDecode(v.substr(q2 + 1));
}

// Go's mime.ParseMediaType, parameters only: nullopt where it returns an error.
std::optional<std::map<std::string, std::string>> ParseMediaParams(std::string_view v) {
  const std::string_view base = v.substr(0, v.find(';'));
  std::string_view type = TrimSpace(base);
  // checkMediaTypeDisposition: a token, optionally "/" and a second token, and nothing more.
  if (ConsumeToken(type).empty()) return std::nullopt;
  if (!type.empty()) {
    if (type[0] != '/') return std::nullopt;
    type.remove_prefix(1);
    if (ConsumeToken(type).empty() || !type.empty()) return std::nullopt;
  }

  std::map<std::string, std::string> params;
  std::map<std::string, std::map<std::string, std::string>> continuation;  // "name*..." parts
  v.remove_prefix(base.size());
  while (true) {
    v = TrimLeftSpace(v);
    if (v.empty()) break;
    // consumeMediaParam: ";" name "=" value, with white space allowed around each.
    std::string_view rest = v.substr(1);
    std::string key;
    std::optional<std::string> value;
    if (v[0] == ';') {
      rest = TrimLeftSpace(rest);
      key = AsciiLower(ConsumeToken(rest));
      rest = TrimLeftSpace(rest);
      if (!key.empty() && !rest.empty() && rest[0] == '=') {
        rest = TrimLeftSpace(rest.substr(1));
        value = ConsumeValue(rest);
      }
    }
    if (key.empty() || !value) {
      if (TrimSpace(v) == ";") break;  // a trailing semicolon is allowed
      return std::nullopt;
    }
    const std::size_t star = key.find('*');
    auto& into = star == std::string::npos ? params : continuation[key.substr(0, star)];
    if (!into.emplace(key, *value).second) return std::nullopt;  // a duplicate name is bogus
    v = rest;
  }

  // Stitches RFC 2231 parameters: "name*" (encoded) or "name*0", "name*1*", ... in order.
  for (const auto& [key, pieces] : continuation) {
    if (auto single = pieces.find(key + "*"); single != pieces.end()) {
      if (std::optional<std::string> decoded = Decode2231(single->second)) params[key] = *decoded;
      continue;
    }
    std::string joined;
    bool valid = false;
    for (int n = 0;; ++n) {
      const std::string simple = key + "*" + std::to_string(n);
      if (auto it = pieces.find(simple); it != pieces.end()) {
        valid = true;
        joined += it->second;
        continue;
      }
      auto it = pieces.find(simple + "*");
      if (it == pieces.end()) break;
      valid = true;
      std::optional<std::string> decoded =
          n == 0 ? Decode2231(it->second) : PercentDecode(it->second);
      if (decoded) joined += *decoded;
    }
    if (valid) params[key] = joined;
  }
  return params;
}

// The decoded path of a URL as Go's url.Parse sees it; nullopt where url.Parse fails on
// something the path rule depends on (control bytes, bad percent escapes).
std::optional<std::string> UrlPath(std::string_view url) {
  for (const char c : url) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return std::nullopt;
  }
  const std::size_t hash = url.find('#');
  if (hash != std::string_view::npos) {
    if (!PercentDecode(url.substr(hash + 1))) return std::nullopt;
    url = url.substr(0, hash);
  }
  // scheme ":" — a letter, then letters, digits, "+", "-", "."
  std::size_t i = 0;
  while (i < url.size() && (std::isalnum(static_cast<unsigned char>(url[i])) || url[i] == '+' ||
                            url[i] == '-' || url[i] == '.')) {
    ++i;
  }
  const bool has_scheme =
      i > 0 && i < url.size() && url[i] == ':' && std::isalpha(static_cast<unsigned char>(url[0]));
  if (has_scheme) url.remove_prefix(i + 1);
  url = url.substr(0, url.find('?'));
  if (!url.empty() && url[0] != '/' && has_scheme) return std::string();  // opaque: no path
  if (url.rfind("//", 0) == 0 && (has_scheme || url.rfind("///", 0) != 0)) {
    const std::size_t slash = url.find('/', 2);
    url = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
  }
  return PercentDecode(url);
}

}  // namespace

std::string SafeFileName(std::string_view name) {
  const std::string_view base = BaseName(TrimSpace(name));
  if (base.empty() || base == "." || base == ".." || HasControl(base)) return kDefaultFileName;
  return std::string(base);
}

std::string HttpSourceFileName(std::string_view url, std::string_view filename,
                               const oci::HttpHeaders* headers) {
  if (!filename.empty()) return SafeFileName(filename);
  if (headers != nullptr) {
    const std::string disposition = headers->Get("Content-Disposition").value_or("");
    if (!disposition.empty()) {
      if (auto params = ParseMediaParams(disposition)) {
        const std::string& name = (*params)["filename"];
        if (!name.empty() && name.back() != '/') return SafeFileName(BaseName(name));
      }
    }
  }
  if (std::optional<std::string> path = UrlPath(url)) {
    const std::string_view base = BaseName(*path);
    if (base != "." && base != "/") return SafeFileName(base);
  }
  return SafeFileName("");
}

}  // namespace bt::solver
