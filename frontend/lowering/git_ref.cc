#include "frontend/lowering/git_ref.h"

#include <cstddef>
#include <cstdint>
#include <utility>

#include "frontend/lowering/container_path.h"
#include "frontend/instructions/go_strconv.h"
#include "frontend/unicode.h"

namespace bt::frontend {
namespace {

// Go's net/url, as far as it decides what a git source is: url.Parse for absolute
// `scheme://` URLs and for the scheme-less `github.com/...` form, URL.String for the remote,
// and url.ParseQuery. Go 1.26 semantics: strict colons in http(s) hosts (urlstrictcolons=1),
// bracketed hosts must be IPv6 addresses, at most 10000 query parameters.

enum class Enc { kPath, kHost, kZone, kUserPassword, kQueryComponent, kFragment };

bool IsAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int HexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

bool In(std::string_view set, unsigned char c) {
  return set.find(static_cast<char>(c)) != std::string_view::npos;
}

// url.shouldEscape.
bool ShouldEscape(unsigned char c, Enc mode) {
  if (IsAlnum(c)) return false;
  // RFC 3986 sub-delims, plus ":[]" for host:port and [ipv6], plus `<>"`, which Go allows
  // because escaping them would make the host unparsable.
  if ((mode == Enc::kHost || mode == Enc::kZone) && In("!$&'()*+,;=:[]<>\"", c)) return false;
  if (In("-_.~", c)) return false;
  if (In("$&+,/:;=?@", c)) {
    switch (mode) {
      case Enc::kPath:
        return c == '?';
      case Enc::kUserPassword:
        return In("@/?:", c);
      case Enc::kQueryComponent:
        return true;
      case Enc::kFragment:
        return false;
      default:  // kHost, kZone: "/?@", as the others were allowed above
        return true;
    }
  }
  return !(mode == Enc::kFragment && In("!()*", c));
}

// url.unescape; the error messages are Go's (EscapeError, InvalidHostError).
Result<std::string> Unescape(std::string_view s, Enc mode) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || HexValue(s[i + 1]) < 0 || HexValue(s[i + 2]) < 0) {
        return Invalid("invalid URL escape " + unicode::Quote(s.substr(i, 3)));
      }
      // In a host only non-ASCII bytes may be escaped, and %25 (RFC 6874 zones).
      const std::string_view triple = s.substr(i, 3);
      if (mode == Enc::kHost && HexValue(s[i + 1]) < 8 && triple != "%25") {
        return Invalid("invalid URL escape " + unicode::Quote(triple));
      }
      const auto v = static_cast<unsigned char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      if (mode == Enc::kZone && triple != "%25" && v != ' ' && ShouldEscape(v, Enc::kHost)) {
        return Invalid("invalid URL escape " + unicode::Quote(triple));
      }
      i += 3;
      continue;
    }
    if ((mode == Enc::kHost || mode == Enc::kZone) && c < 0x80 && ShouldEscape(c, mode)) {
      return Invalid("invalid character " + unicode::Quote(s.substr(i, 1)) + " in host name");
    }
    ++i;
  }
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else if (s[i] == '+' && mode == Enc::kQueryComponent) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

// url.escape.
std::string Escape(std::string_view s, Enc mode) {
  static constexpr char kUpperHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const unsigned char c : s) {
    if (c == ' ' && mode == Enc::kQueryComponent) {
      out += '+';
    } else if (ShouldEscape(c, mode)) {
      out += '%';
      out += kUpperHex[c >> 4];
      out += kUpperHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// url.validEncoded for paths: sub-delims, ":@", "[]" and escapes are left as written.
bool ValidEncodedPath(std::string_view s) {
  for (const unsigned char c : s) {
    if (!In("!$&'()*+,;=:@[]%", c) && ShouldEscape(c, Enc::kPath)) return false;
  }
  return true;
}

// netip's parseIPv4Fields: exactly four decimal octets without leading zeros.
bool IsIpv4(std::string_view s) {
  int dots = 0;
  int value = 0;
  int digits = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      if (digits == 1 && value == 0) return false;
      value = value * 10 + (c - '0');
      ++digits;
      if (value > 255) return false;
    } else if (c == '.') {
      if (i == 0 || i + 1 == s.size() || s[i - 1] == '.' || dots == 3) return false;
      ++dots;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return dots == 3;
}

// netip.ParseAddr succeeding with an IPv6 address (optionally with a non-empty %zone): what
// url.parseHost requires between brackets. Mirrors netip's parseIPv6 step by step.
bool IsIpv6(std::string_view s) {
  const std::size_t family = s.find_first_of(".:%");
  if (family == std::string_view::npos || s[family] != ':') return false;
  if (const std::size_t zone = s.find('%'); zone != std::string_view::npos) {
    if (zone + 1 == s.size()) return false;
    s = s.substr(0, zone);
  }
  int filled = 0;  // bytes of the 16
  int ellipsis = -1;
  if (StartsWith(s, "::")) {
    ellipsis = 0;
    s.remove_prefix(2);
    if (s.empty()) return true;
  }
  while (filled < 16) {
    std::size_t off = 0;
    std::uint32_t acc = 0;
    for (; off < s.size() && HexValue(s[off]) >= 0; ++off) {
      acc = acc * 16 + static_cast<std::uint32_t>(HexValue(s[off]));
      if (off > 3 || acc > 0xFFFF) return false;
    }
    if (off == 0) return false;
    if (off < s.size() && s[off] == '.') {
      if ((ellipsis < 0 && filled != 12) || filled + 4 > 16 || !IsIpv4(s)) return false;
      s = {};
      filled += 4;
      break;
    }
    filled += 2;
    s.remove_prefix(off);
    if (s.empty()) break;
    if (s.front() != ':' || s.size() == 1) return false;
    s.remove_prefix(1);
    if (s.front() == ':') {
      if (ellipsis >= 0) return false;
      ellipsis = filled;
      s.remove_prefix(1);
      if (s.empty()) break;
    }
  }
  if (!s.empty()) return false;
  return filled < 16 ? ellipsis >= 0 : ellipsis < 0;
}

// url.validOptionalPort.
bool ValidOptionalPort(std::string_view port) {
  if (port.empty()) return true;
  if (port.front() != ':') return false;
  for (const char c : port.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Error BadPort(std::string_view colon_port) {
  return Invalid("invalid port " + unicode::Quote(colon_port) + " after host");
}

// url.parseHost (Go 1.26).
Result<std::string> ParseHost(std::string_view scheme, std::string_view host) {
  const std::size_t open = host.rfind('[');
  if (open != std::string_view::npos && open > 0) return Invalid("invalid IP-literal");
  if (open == 0) {
    const std::size_t close = host.rfind(']');
    if (close == std::string_view::npos) return Invalid("missing ']' in host");
    const std::string_view colon_port = host.substr(close + 1);
    if (!ValidOptionalPort(colon_port)) return BadPort(colon_port);
    const std::string_view name = host.substr(1, close - 1);
    std::string unescaped;
    if (const std::size_t zone = name.find("%25"); zone != std::string_view::npos) {
      BT_ASSIGN_OR_RETURN(std::string addr, Unescape(name.substr(0, zone), Enc::kHost));
      BT_ASSIGN_OR_RETURN(std::string zone_id, Unescape(name.substr(zone), Enc::kZone));
      unescaped = addr + zone_id;
    } else {
      BT_ASSIGN_OR_RETURN(unescaped, Unescape(name, Enc::kHost));
    }
    // netip's own message is not reproduced; IPv4 literals get Go's "invalid IP-literal".
    if (IsIpv4(unescaped)) return Invalid("invalid IP-literal");
    if (!IsIpv6(unescaped)) return Invalid("invalid host: " + unicode::Quote(unescaped));
    return "[" + unescaped + "]" + std::string(colon_port);
  }
  if (const std::size_t first = host.find(':'); first != std::string_view::npos) {
    // Only http(s) hosts are strict about a second colon (go.dev/issue/75223, 78077).
    const std::size_t at = (scheme == "http" || scheme == "https") ? first : host.rfind(':');
    if (!ValidOptionalPort(host.substr(at))) return BadPort(host.substr(at));
  }
  return Unescape(host, Enc::kHost);
}

struct GoUserinfo {
  std::string username;
  std::optional<std::string> password;
};

// url.Userinfo.String.
std::string UserinfoString(const GoUserinfo& user) {
  std::string out = Escape(user.username, Enc::kUserPassword);
  if (user.password) out += ":" + Escape(*user.password, Enc::kUserPassword);
  return out;
}

// url.validUserinfo; it walks runes, so every non-ASCII byte is invalid.
bool ValidUserinfo(std::string_view s) {
  for (const unsigned char c : s) {
    if (!IsAlnum(c) && !In("-._:~!$&'()*+,;=%@", c)) return false;
  }
  return true;
}

// url.URL, less the fields that never differ here (RawFragment).
struct GoUrl {
  std::string scheme;
  std::string opaque;
  std::optional<GoUserinfo> user;
  std::string host;
  std::string path;
  std::string raw_path;
  bool omit_host = false;
  bool force_query = false;
  std::string raw_query;
  std::string fragment;
};

// url.parseAuthority.
Result<void> ParseAuthority(std::string_view authority, GoUrl& url) {
  const std::size_t at = authority.rfind('@');
  const std::string_view host = at == std::string_view::npos ? authority : authority.substr(at + 1);
  BT_ASSIGN_OR_RETURN(url.host, ParseHost(url.scheme, host));
  if (at == std::string_view::npos) return {};
  const std::string_view userinfo = authority.substr(0, at);
  if (!ValidUserinfo(userinfo)) return Invalid("net/url: invalid userinfo");
  GoUserinfo user;
  const std::size_t colon = userinfo.find(':');
  BT_ASSIGN_OR_RETURN(user.username, Unescape(userinfo.substr(0, colon), Enc::kUserPassword));
  if (colon != std::string_view::npos) {
    BT_ASSIGN_OR_RETURN(user.password, Unescape(userinfo.substr(colon + 1), Enc::kUserPassword));
  }
  url.user = std::move(user);
  return {};
}

// url.parse(rawURL, viaRequest=false), without Go's special case for "*".
Result<GoUrl> ParseNoFragment(std::string_view raw) {
  for (const unsigned char c : raw) {
    if (c < 0x20 || c == 0x7f) return Invalid("net/url: invalid control character in URL");
  }
  GoUrl url;
  std::string_view rest = raw;
  // url.getScheme: [a-zA-Z][a-zA-Z0-9+-.]* followed by ':'.
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const unsigned char c = raw[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) continue;
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
      if (i == 0) break;
      continue;
    }
    if (c == ':') {
      if (i == 0) return Invalid("missing protocol scheme");
      for (const char s : raw.substr(0, i)) {
        url.scheme += (s >= 'A' && s <= 'Z') ? static_cast<char>(s - 'A' + 'a') : s;
      }
      rest = raw.substr(i + 1);
    }
    break;
  }
  if (EndsWith(rest, "?") && rest.find('?') == rest.size() - 1) {
    url.force_query = true;
    rest.remove_suffix(1);
  } else if (const std::size_t q = rest.find('?'); q != std::string_view::npos) {
    url.raw_query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  if (!StartsWith(rest, "/")) {
    if (!url.scheme.empty()) {
      url.opaque = std::string(rest);
      return url;
    }
    if (rest.substr(0, rest.find('/')).find(':') != std::string_view::npos) {
      return Invalid("first path segment in URL cannot contain colon");
    }
  }
  if ((!url.scheme.empty() || !StartsWith(rest, "///")) && StartsWith(rest, "//")) {
    std::string_view authority = rest.substr(2);
    rest = {};
    if (const std::size_t slash = authority.find('/'); slash != std::string_view::npos) {
      rest = authority.substr(slash);
      authority = authority.substr(0, slash);
    }
    BT_TRY(ParseAuthority(authority, url));
  } else if (!url.scheme.empty() && StartsWith(rest, "/")) {
    url.omit_host = true;
  }
  BT_ASSIGN_OR_RETURN(url.path, Unescape(rest, Enc::kPath));
  if (Escape(url.path, Enc::kPath) != rest) url.raw_path = std::string(rest);
  return url;
}

// url.Parse; errors read as Go's url.Error: `parse "<url>": <why>`.
Result<GoUrl> ParseGoUrl(std::string_view raw) {
  const std::size_t hash = raw.find('#');
  const std::string_view before = raw.substr(0, hash);
  Result<GoUrl> url = ParseNoFragment(before);
  if (!url) return Invalid("parse " + unicode::Quote(before) + ": " + url.error().message);
  if (hash == std::string_view::npos || hash + 1 == raw.size()) return url;
  Result<std::string> fragment = Unescape(raw.substr(hash + 1), Enc::kFragment);
  if (!fragment) return Invalid("parse " + unicode::Quote(raw) + ": " + fragment.error().message);
  url->fragment = std::move(*fragment);
  return url;
}

// url.URL.EscapedPath.
std::string EscapedPath(const GoUrl& url) {
  if (!url.raw_path.empty() && ValidEncodedPath(url.raw_path)) {
    Result<std::string> path = Unescape(url.raw_path, Enc::kPath);
    if (path && *path == url.path) return url.raw_path;
  }
  if (url.path == "*") return "*";
  return Escape(url.path, Enc::kPath);
}

// url.URL.String with Fragment and RawQuery cleared, as gitutil.FromURL prints the remote.
// ForceQuery survives that clearing, so "https://host/r.git?" keeps its '?'.
std::string RemoteString(const GoUrl& url) {
  std::string out;
  if (!url.scheme.empty()) out += url.scheme + ":";
  if (!url.opaque.empty()) {
    out += url.opaque;
  } else {
    const bool no_authority = url.omit_host && url.host.empty() && !url.user;
    if ((!url.scheme.empty() || !url.host.empty() || url.user) && !no_authority) {
      if (!url.host.empty() || !url.path.empty() || url.user) out += "//";
      if (url.user) out += UserinfoString(*url.user) + "@";
      out += Escape(url.host, Enc::kHost);
    }
    std::string path = EscapedPath(url);
    if (no_authority && StartsWith(path, "//")) {
      out += "%2F";
      path.erase(0, 1);
    }
    if (!path.empty() && path.front() != '/' && !url.host.empty()) out += '/';
    if (out.empty() && path.substr(0, path.find('/')).find(':') != std::string::npos) {
      out += "./";
    }
    out += path;
  }
  if (url.force_query) out += '?';
  return out;
}

using Query = std::map<std::string, std::vector<std::string>>;

// url.ParseQuery: fills what parses; false when some pair did not (or there are too many).
bool ParseQuery(std::string_view query, Query& values) {
  std::size_t pairs = 1;
  for (const char c : query) pairs += c == '&';
  if (pairs > 10000) return false;
  bool ok = true;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.find(';') != std::string_view::npos) {
      ok = false;
      continue;
    }
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    Result<std::string> key = Unescape(pair.substr(0, eq), Enc::kQueryComponent);
    Result<std::string> value =
        Unescape(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1),
                 Enc::kQueryComponent);
    if (!key || !value) {
      ok = false;
      continue;
    }
    values[std::move(*key)].push_back(std::move(*value));
  }
  return ok;
}

// gitutil.parseOpts.
std::optional<GitUrlFragment> ParseFragment(std::string_view fragment) {
  if (fragment.empty()) return std::nullopt;
  const std::size_t colon = fragment.find(':');
  GitUrlFragment opts;
  opts.ref = std::string(fragment.substr(0, colon));
  const std::string_view subdir =
      colon == std::string_view::npos ? std::string_view() : fragment.substr(colon + 1);
  opts.subdir = JoinPath("/", subdir).substr(1);
  return opts;
}

// gitutil.FromURL.
GitUrl FromGoUrl(const GoUrl& url) {
  GitUrl git;
  git.scheme = url.scheme;
  if (url.user) git.user = UserinfoString(*url.user);
  git.host = url.host;
  git.path = url.path;
  (void)ParseQuery(url.raw_query, git.query);  // url.URL.Query drops what does not parse
  git.fragment = ParseFragment(url.fragment);
  git.remote = RemoteString(url);
  return git;
}

// sshutil's gitSSHRegex,
// `^([a-zA-Z0-9-_]+)@([a-zA-Z0-9-.]+):(.*?)(?:\?(.*?))?(?:#(.*))?$`, matched by hand:
// the lazy path stops at the first '?' or '#', and `.` matches anything but '\n'.
struct ScpStyleUrl {
  std::string_view user;
  std::string_view host;
  std::string_view path;
  std::string_view raw_query;
  std::string_view fragment;
};

std::optional<ScpStyleUrl> MatchScpStyle(std::string_view s) {
  const auto is_user = [](unsigned char c) { return IsAlnum(c) || c == '-' || c == '_'; };
  const auto is_host = [](unsigned char c) { return IsAlnum(c) || c == '-' || c == '.'; };
  std::size_t at = 0;
  while (at < s.size() && is_user(s[at])) ++at;
  if (at == 0 || at == s.size() || s[at] != '@') return std::nullopt;
  std::size_t colon = at + 1;
  while (colon < s.size() && is_host(s[colon])) ++colon;
  if (colon == at + 1 || colon == s.size() || s[colon] != ':') return std::nullopt;
  const std::string_view rest = s.substr(colon + 1);
  if (rest.find('\n') != std::string_view::npos) return std::nullopt;
  ScpStyleUrl url{s.substr(0, at), s.substr(at + 1, colon - at - 1), rest, {}, {}};
  const std::size_t mark = rest.find_first_of("?#");
  if (mark == std::string_view::npos) return url;
  url.path = rest.substr(0, mark);
  std::string_view tail = rest.substr(mark + 1);
  if (rest[mark] == '?') {
    const std::size_t hash = tail.find('#');
    url.raw_query = tail.substr(0, hash);
    if (hash == std::string_view::npos) return url;
    tail = tail.substr(hash + 1);
  }
  url.fragment = tail;
  return url;
}

Error QueryError(std::string message) { return Invalid(std::move(message)); }

Error Conflict(std::string_view what, std::string_view a, std::string_view b) {
  return QueryError(std::string(what) + " conflicts: " + unicode::Quote(a) + " vs " +
                    unicode::Quote(b));
}

// GitRef.loadQuery. Go ranges over the url.Values map in random order; keys are taken in
// sorted order here, which only matters when several keys are bad (which error is reported)
// or when both checksum= and commit= are given (commit= wins).
std::optional<Error> LoadQuery(const Query& query, GitRef& ref) {
  std::string tag;
  std::string branch;
  for (const auto& [key, values] : query) {
    if (values.size() > 1)
      return QueryError("query " + unicode::Quote(key) + " has multiple values");
    const bool is_flag = key == "submodules" || key == "keep-git-dir" || key == "fetch-by-commit";
    const bool no_value = values.empty() || values.front().empty();
    if (no_value && !is_flag) return QueryError("query " + unicode::Quote(key) + " has no value");
    const std::string value = no_value ? std::string() : values.front();
    if (key == "ref") {
      if (!ref.ref.empty() && ref.ref != value) return Conflict("ref", ref.ref, value);
      ref.ref = value;
    } else if (key == "tag") {
      tag = value;
    } else if (key == "branch") {
      branch = value;
    } else if (key == "subdir") {
      if (!ref.subdir.empty() && ref.subdir != value) return Conflict("subdir", ref.subdir, value);
      ref.subdir = value;
    } else if (key == "checksum" || key == "commit") {
      ref.checksum = value;
    } else if (key == "mtime") {
      if (value != "checkout" && value != "commit") {
        return QueryError("invalid mtime value: " + unicode::Quote(value) +
                          " (must be \"checkout\" or \"commit\")");
      }
      ref.mtime = value;
    } else if (is_flag) {
      // A flag without a value (`?submodules`, `?keep-git-dir=`) means true.
      bool on = true;
      if (!no_value) {
        const std::optional<bool> parsed = ParseGoBool(value);
        if (!parsed) return QueryError("invalid " + key + " value: " + unicode::Quote(value));
        on = *parsed;
      }
      if (key == "keep-git-dir") {
        ref.keep_git_dir = on;
      } else if (key == "submodules") {
        ref.submodules = on;
      } else {
        ref.fetch_by_commit = on;
      }
    } else {
      return QueryError("unexpected query " + unicode::Quote(key));
    }
  }
  if (!tag.empty()) {
    if (!StartsWith(tag, "refs/tags/")) tag = "refs/tags/" + tag;
    if (!ref.ref.empty() && ref.ref != tag) return Conflict("ref", ref.ref, tag);
    ref.ref = tag;
  }
  if (!branch.empty()) {
    if (!tag.empty()) return QueryError("branch conflicts with tag");
    if (!StartsWith(branch, "refs/heads/")) branch = "refs/heads/" + branch;
    if (!ref.ref.empty() && ref.ref != branch) return Conflict("ref", ref.ref, branch);
    ref.ref = branch;
  }
  return std::nullopt;
}

}  // namespace

Result<GitUrl> ParseGitUrl(std::string_view remote) {
  // gitutil's protoRegexp `^[a-zA-Z0-9]+://` decides between URL and scp-like syntax.
  std::size_t n = 0;
  while (n < remote.size() && IsAlnum(remote[n])) ++n;
  if (n > 0 && remote.substr(n, 3) == "://") {
    std::string proto;
    for (const char c : remote.substr(0, n)) {
      proto += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    if (proto != "http" && proto != "https" && proto != "ssh" && proto != "git") {
      return Invalid(proto + ": invalid protocol");
    }
    BT_ASSIGN_OR_RETURN(GoUrl url, ParseGoUrl(remote));
    return FromGoUrl(url);
  }
  if (const std::optional<ScpStyleUrl> scp = MatchScpStyle(remote)) {
    GitUrl git;
    git.scheme = "ssh";
    git.user = std::string(scp->user);  // [a-zA-Z0-9-_]+ needs no escaping
    git.host = std::string(scp->host);
    git.path = std::string(scp->path);
    // sshutil.ParseSCPStyleURL fails on a query url.ParseQuery rejects, and ParseURL then
    // reports an unknown protocol.
    if (!scp->raw_query.empty() && !ParseQuery(scp->raw_query, git.query)) {
      return Invalid("unknown protocol");
    }
    git.fragment = ParseFragment(scp->fragment);  // as written: scp fragments are not decoded
    git.remote = std::string(scp->user) + "@" + git.host + ":" + git.path;
    return git;
  }
  return Invalid("unknown protocol");
}

GitRefParse ParseGitRef(std::string_view source) {
  if (StartsWith(source, "./") || StartsWith(source, "../")) return {};
  GitUrl remote;
  GitRef ref;
  if (StartsWith(source, "github.com/")) {
    // Deprecated in BuildKit, kept for build contexts: parsed as a scheme-less URL, then
    // printed as https and cut after "://". No ".git" suffix is required.
    Result<GoUrl> url = ParseGoUrl(source);
    if (!url) return {};
    url->scheme = "https";
    remote = FromGoUrl(*url);
    ref.indistinguishable_from_local = true;
    const std::size_t sep = remote.remote.find("://");
    ref.remote = sep == std::string::npos ? std::string() : remote.remote.substr(sep + 3);
  } else {
    Result<GitUrl> parsed = ParseGitUrl(source);
    if (!parsed) return {};
    remote = std::move(*parsed);
    ref.unencrypted_tcp = remote.scheme == "http" || remote.scheme == "git";
    // An http(s) URL is a git source only when its decoded path ends in ".git".
    if ((remote.scheme == "http" || remote.scheme == "https") && !EndsWith(remote.path, ".git")) {
      return {};
    }
    ref.remote = remote.remote;
  }
  if (remote.fragment) {
    ref.ref = remote.fragment->ref;
    ref.subdir = remote.fragment->subdir;
  }
  const std::size_t slash = ref.remote.rfind('/');
  std::string_view last = ref.remote;
  if (slash != std::string::npos) last.remove_prefix(slash + 1);
  if (EndsWith(last, ".git")) last.remove_suffix(4);
  ref.short_name = std::string(last);
  if (std::optional<Error> error = LoadQuery(remote.query, ref)) {
    return {std::nullopt, std::move(error)};
  }
  return {std::move(ref), std::nullopt};
}

}  // namespace bt::frontend
