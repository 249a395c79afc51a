#include "executor/sandbox/etc_files.h"

#include <array>
#include <cstdint>
#include <optional>

namespace bt::executor {
namespace {

// ---- Go's netip.Addr, as far as resolv.conf needs it: ParseAddr, String, IsLoopback ----

struct IpAddr {
  bool is4 = false;                // netip's z4; otherwise IPv6 (IPv4-mapped ones included)
  std::array<uint8_t, 16> b = {};  // an IPv4 address sits in b[12..15]
  std::string zone;                // IPv6 only

  uint16_t Word(int i) const { return static_cast<uint16_t>(b[2 * i] << 8 | b[2 * i + 1]); }
  bool Is4In6() const {
    for (int i = 0; i < 10; ++i) {
      if (b[i] != 0) return false;
    }
    return !is4 && b[10] == 0xff && b[11] == 0xff;
  }
};

// netip parseIPv4Fields: exactly four decimal fields 0-255, no leading zeros, nothing else.
bool ParseIpv4Fields(std::string_view s, uint8_t* out) {
  int val = 0;
  int pos = 0;
  int digits = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      if (digits == 1 && val == 0) return false;  // leading zero
      val = val * 10 + (c - '0');
      ++digits;
      if (val > 255) return false;
    } else if (c == '.') {
      if (i == 0 || i == s.size() - 1 || s[i - 1] == '.') return false;
      if (pos == 3) return false;
      out[pos++] = static_cast<uint8_t>(val);
      val = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (pos < 3) return false;
  out[3] = static_cast<uint8_t>(val);
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// netip parseIPv6: hex groups of at most 4 digits, one "::", an optional trailing dotted
// IPv4 (in the last 32 bits), an optional non-empty "%zone".
std::optional<IpAddr> ParseIpv6(std::string_view in) {
  IpAddr ip;
  std::string_view s = in;
  if (const size_t pct = s.find('%'); pct != std::string_view::npos) {
    ip.zone = std::string(s.substr(pct + 1));
    if (ip.zone.empty()) return std::nullopt;
    s = s.substr(0, pct);
  }
  int ellipsis = -1;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    ellipsis = 0;
    s.remove_prefix(2);
    if (s.empty()) return ip;  // "::"
  }
  int i = 0;
  while (i < 16) {
    size_t off = 0;
    uint32_t acc = 0;
    for (; off < s.size(); ++off) {
      const int h = HexValue(s[off]);
      if (h < 0) break;
      acc = (acc << 4) + static_cast<uint32_t>(h);
      if (off > 3) return std::nullopt;  // more than 4 digits
    }
    if (off == 0) return std::nullopt;
    if (off < s.size() && s[off] == '.') {
      if (ellipsis < 0 && i != 12) return std::nullopt;
      if (i + 4 > 16) return std::nullopt;
      if (!ParseIpv4Fields(s, &ip.b[static_cast<size_t>(i)])) return std::nullopt;
      s = {};
      i += 4;
      break;
    }
    ip.b[static_cast<size_t>(i)] = static_cast<uint8_t>(acc >> 8);
    ip.b[static_cast<size_t>(i) + 1] = static_cast<uint8_t>(acc);
    i += 2;
    s.remove_prefix(off);
    if (s.empty()) break;
    if (s[0] != ':' || s.size() == 1) return std::nullopt;
    s.remove_prefix(1);
    if (s[0] == ':') {
      if (ellipsis >= 0) return std::nullopt;  // a second "::"
      ellipsis = i;
      s.remove_prefix(1);
      if (s.empty()) break;
    }
  }
  if (!s.empty()) return std::nullopt;
  if (i < 16) {
    if (ellipsis < 0) return std::nullopt;
    const int n = 16 - i;
    for (int j = i - 1; j >= ellipsis; --j) ip.b[static_cast<size_t>(j + n)] = ip.b[static_cast<size_t>(j)];
    for (int j = ellipsis; j < ellipsis + n; ++j) ip.b[static_cast<size_t>(j)] = 0;
  } else if (ellipsis >= 0) {
    return std::nullopt;  // "::" must stand for at least one group
  }
  return ip;
}

// netip.ParseAddr: the first '.', ':' or '%' decides the family.
std::optional<IpAddr> ParseAddr(std::string_view s) {
  for (const char c : s) {
    if (c == '.') {
      IpAddr ip;
      ip.is4 = true;
      ip.b[10] = ip.b[11] = 0xff;
      if (!ParseIpv4Fields(s, &ip.b[12])) return std::nullopt;
      return ip;
    }
    if (c == ':') return ParseIpv6(s);
    if (c == '%') return std::nullopt;
  }
  return std::nullopt;
}

std::string Dotted(const IpAddr& ip) {
  return std::to_string(ip.b[12]) + "." + std::to_string(ip.b[13]) + "." + std::to_string(ip.b[14]) + "." +
         std::to_string(ip.b[15]);
}

// netip Addr.String: dotted for IPv4 and "::ffff:" + dotted for IPv4-mapped IPv6; otherwise
// lowercase hex groups without leading zeros, the first longest run of two or more zero
// groups as "::" (RFC 5952), then "%zone".
std::string AddrString(const IpAddr& ip) {
  if (ip.is4) return Dotted(ip);
  std::string zone = ip.zone.empty() ? std::string() : "%" + ip.zone;
  if (ip.Is4In6()) return "::ffff:" + Dotted(ip) + zone;
  int zero_start = -1;
  int zero_len = 1;  // runs must be longer than this
  for (int i = 0; i < 8; ++i) {
    int j = i;
    while (j < 8 && ip.Word(j) == 0) ++j;
    if (j - i > zero_len) {
      zero_start = i;
      zero_len = j - i;
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == zero_start) {
      out += "::";
      i += zero_len;
      if (i >= 8) break;
    } else if (i > 0) {
      out += ':';
    }
    const uint16_t w = ip.Word(i);
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const int nibble = (w >> shift) & 0xf;
      if (nibble != 0 || started || shift == 0) {
        out += kHex[nibble];
        started = true;
      }
    }
  }
  return out + zone;
}

// netip Addr.IsLoopback: 127.0.0.0/8 (also IPv4-mapped) and ::1, whatever the zone.
bool IsLoopback(const IpAddr& ip) {
  if (ip.is4 || ip.Is4In6()) return ip.b[12] == 127;
  for (int i = 0; i < 15; ++i) {
    if (ip.b[i] != 0) return false;
  }
  return ip.b[15] == 1;
}

bool IsV4(const IpAddr& ip, uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return ip.is4 && ip.b[12] == a && ip.b[13] == b && ip.b[14] == c && ip.b[15] == d;
}

// ---- util/resolvconf: Parse, TransformForLegacyNw, Generate(false) ----

// The UTF-8 encodings of Go's unicode.IsSpace beyond ASCII, which strings.Fields splits at.
constexpr std::string_view kUnicodeSpaces[] = {
    "\xC2\x85",     "\xC2\xA0",     "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81",
    "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86",
    "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A", "\xE2\x80\xA8",
    "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80",
};

// The byte length of the white-space rune at the start of `s`, 0 if there is none. Every
// encoding above starts with a lead byte, which never occurs inside another rune, so matching
// at any byte agrees with Go's rune-by-rune decoding, invalid UTF-8 included.
size_t SpaceLen(std::string_view s) {
  if (s.empty()) return 0;
  const char c = s[0];
  if (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r') return 1;
  for (const std::string_view sp : kUnicodeSpaces) {
    if (s.substr(0, sp.size()) == sp) return sp.size();
  }
  return 0;
}

// strings.Fields.
std::vector<std::string_view> Fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    if (const size_t n = SpaceLen(s.substr(i))) {
      i += n;
      continue;
    }
    const size_t start = i;
    while (i < s.size() && SpaceLen(s.substr(i)) == 0) ++i;
    out.push_back(s.substr(start, i - start));
  }
  return out;
}

// bufio.Scanner's default limit: a line (without '\n') of more bytes fails the scan.
constexpr size_t kMaxResolvConfLine = 64 * 1024 - 1;

struct ResolvConf {
  std::vector<IpAddr> nameservers;
  std::vector<std::string_view> search;   // the last search/domain line's
  std::vector<std::string_view> options;  // all options lines', in order
  std::vector<std::string_view> other;    // unrecognised lines, verbatim
  bool has_overlong_line = false;
};

// resolvconf.Parse: bufio.ScanLines (split at '\n', one trailing '\r' dropped), then
// processLine. A line over bufio's limit makes BuildKit's Parse fail, and with it the step;
// the caller has no error to give for a host file the Dockerfile cannot see, so such a line
// is skipped, like a comment, and reported through has_overlong_line.
ResolvConf ParseResolvConf(std::string_view text) {
  ResolvConf rc;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.size() > kMaxResolvConfLine) {
      rc.has_overlong_line = true;
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const std::vector<std::string_view> f = Fields(line);
    if (f.empty()) continue;
    if (f[0] == "nameserver") {
      if (f.size() < 2) continue;
      // An unparsable address only shows up in the comments Generate(false) leaves out.
      if (std::optional<IpAddr> ip = ParseAddr(f[1])) rc.nameservers.push_back(std::move(*ip));
    } else if (f[0] == "domain" || f[0] == "search") {
      // "domain" is the obsolete name of "search"; only the last line counts.
      if (f.size() < 2) continue;
      rc.search.assign(f.begin() + 1, f.end());
    } else if (f[0] == "options") {
      if (f.size() < 2) continue;
      rc.options.insert(rc.options.end(), f.begin() + 1, f.end());
    } else {
      rc.other.push_back(line);
    }
  }
  return rc;
}

// resolvconf.go defaultIPv4NSs and defaultIPv6NSs (Google Public DNS), libnetwork's too.
std::vector<IpAddr> DefaultNameservers() {
  std::vector<IpAddr> out;
  for (const char* s : {"8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844"}) {
    out.push_back(*ParseAddr(s));
  }
  return out;
}

std::string Joined(const char* directive, const std::vector<std::string_view>& words) {
  std::string out = directive;
  for (const std::string_view w : words) {
    out += ' ';
    out += w;
  }
  return out + "\n";
}

}  // namespace

std::string HostsFile(std::string_view hostname, const std::vector<ExtraHost>& extra) {
  std::string out = "127.0.0.1\tlocalhost ";
  out += hostname.empty() ? kDefaultHostname : hostname;
  out += "\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  for (const ExtraHost& h : extra) out += h.ip + "\t" + h.host + "\n";
  return out;
}

std::string_view ResolvConfSourcePath(std::string_view etc_resolv_conf, StepNetwork network) {
  constexpr std::string_view kDefaultPath = "/etc/resolv.conf";
  // On the host network the host's own stub resolver at 127.0.0.53 is reachable.
  if (network == StepNetwork::kHost) return kDefaultPath;
  const ResolvConf rc = ParseResolvConf(etc_resolv_conf);
  if (rc.has_overlong_line) return kDefaultPath;  // BuildKit's Load failed: the default path
  if (rc.nameservers.size() == 1 && IsV4(rc.nameservers[0], 127, 0, 0, 53)) {
    return "/run/systemd/resolve/resolv.conf";
  }
  return kDefaultPath;
}

std::string ResolvConfFor(std::string_view host_resolv_conf, StepNetwork network) {
  ResolvConf rc = ParseResolvConf(host_resolv_conf);
  // GetResolvConf: the host network keeps the host's nameservers, loopback ones included;
  // every other network gets TransformForLegacyNw(ipv6=true): loopback nameservers removed
  // (they answer only in the host's network namespace), IPv6 ones kept.
  //
  // For the sandbox network, outbound traffic goes through slirp4netns, whose built-in DNS
  // forwarder 10.0.2.3 would also work, and would even reach a host resolver that listens only
  // on loopback. We follow BuildKit instead, so that a step sees the same resolv.conf under
  // buildtool as under BuildKit and the file does not depend on which user-mode stack carries
  // the traffic (pasta has no 10.0.2.3 unless told so); non-loopback nameservers are reached
  // through slirp's NAT like any other address. BuildKit itself never writes 10.0.2.3: rootless
  // BuildKit always runs steps on the host network (docs/rootless.md) inside RootlessKit's
  // namespace, where RootlessKit has written "nameserver 10.0.2.3" into /etc/resolv.conf
  // (pkg/child/child.go writeResolvConf); that file is then the "host" file and passes through
  // the rule above unchanged.
  if (network != StepNetwork::kHost || rc.nameservers.empty()) {
    std::vector<IpAddr> kept;
    for (IpAddr& ip : rc.nameservers) {
      if (!IsLoopback(ip)) kept.push_back(std::move(ip));
    }
    rc.nameservers = kept.empty() ? DefaultNameservers() : std::move(kept);
  }
  std::string out;
  for (const IpAddr& ip : rc.nameservers) out += "nameserver " + AddrString(ip) + "\n";
  if (!rc.search.empty()) out += Joined("search", rc.search);
  if (!rc.options.empty()) out += Joined("options", rc.options);
  for (const std::string_view line : rc.other) {
    out += line;
    out += '\n';
  }
  return out;
}

std::string HostnameFile(std::string_view hostname) {
  return std::string(hostname.empty() ? kDefaultHostname : hostname) + "\n";
}

}  // namespace bt::executor
