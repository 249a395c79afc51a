#include "oci/platform.h"

#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "oci/error_quote.h"

namespace bt::oci {
namespace {

std::string Quote(std::string_view text) { return QuoteCapped(text); }

Error InvalidPlatform(std::string_view text, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "invalid platform " + Quote(text) + ": " + std::string(why));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// containerd's osRe without the "(version+features)" suffix, which Platform cannot hold.
bool IsOsComponent(std::string_view s) {
  for (char c : s) {
    if (!IsAsciiAlnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

// containerd's specifierRe: ^[A-Za-z0-9_.-]+$ (the emptiness check is the caller's).
bool IsSpecifierComponent(std::string_view s) {
  for (char c : s) {
    if (!IsAsciiAlnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

// containerd database.go isKnownOS (Go's syslist), on a normalized os.
bool IsKnownOs(std::string_view os) {
  static constexpr std::array<std::string_view, 17> kKnown = {
      "aix",   "android", "darwin", "dragonfly", "freebsd", "hurd",    "illumos", "ios", "js",
      "linux", "nacl",    "netbsd", "openbsd",   "plan9",   "solaris", "windows", "zos"};
  for (std::string_view known : kKnown) {
    if (os == known) return true;
  }
  return false;
}

// containerd database.go isKnownArch, on a normalized architecture.
bool IsKnownArch(std::string_view arch) {
  static constexpr std::array<std::string_view, 24> kKnown = {
      "386",     "amd64",   "amd64p32", "arm",    "armbe",  "arm64",    "arm64be",   "ppc64",
      "ppc64le", "loong64", "mips",     "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le",
      "ppc",     "riscv",   "riscv64",  "s390",   "s390x",  "sparc",    "sparc64",   "wasm"};
  for (std::string_view known : kKnown) {
    if (arch == known) return true;
  }
  return false;
}

// containerd database.go normalizeOS, for a non-empty os.
std::string NormalizeOs(std::string_view os) {
  std::string out = Lower(os);
  if (out == "macos") out = "darwin";
  return out;
}

// containerd database.go normalizeArch: the aliases and the default variants. Note that
// arm64's v8 and amd64's v1 are the baseline and normalize to no variant, while 32-bit arm
// always names its variant (v7 by default).
void NormalizeArch(std::string& arch, std::string& variant) {
  arch = Lower(arch);
  variant = Lower(variant);
  if (arch == "i386") {
    arch = "386";
    variant.clear();
  } else if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    arch = "amd64";
    if (variant == "v1") variant.clear();
  } else if (arch == "aarch64" || arch == "arm64") {
    arch = "arm64";
    if (variant == "8" || variant == "v8" || variant == "v8.0") {
      variant.clear();
    } else if (variant == "9" || variant == "9.0" || variant == "v9.0") {
      variant = "v9";
    }
  } else if (arch == "armhf") {
    arch = "arm";
    variant = "v7";
  } else if (arch == "armel") {
    arch = "arm";
    variant = "v6";
  } else if (arch == "arm") {
    if (variant.empty() || variant == "7") {
      variant = "v7";
    } else if (variant == "5" || variant == "6" || variant == "8") {
      variant = "v" + variant;
    }
  }
}

std::vector<std::string_view> SplitSlash(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = text.find('/', start);
    if (slash == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, slash - start));
    start = slash + 1;
  }
}

}  // namespace

std::string Platform::ToString() const {
  // containerd's Format: path.Join(os, arch, variant), which skips empty elements.
  if (os.empty()) return "unknown";
  std::string out = os;
  if (!architecture.empty()) out += "/" + architecture;
  if (!variant.empty()) out += "/" + variant;
  return out;
}

// Normalize(Parse(text)) in containerd terms. Parse alone has two quirks that Normalize undoes
// (it drops arm's v7 and adds arm64's v8), so the composition is computed directly: split,
// validate each component, normalize os and architecture/variant.
Result<Platform> ParsePlatform(std::string_view text) {
  if (text.find('*') != std::string_view::npos) {
    return InvalidPlatform(text, "wildcards are not supported");
  }
  const std::vector<std::string_view> parts = SplitSlash(text);
  if (parts.size() > 3) {
    return InvalidPlatform(text, "want os/architecture[/variant], got more than three parts");
  }
  static constexpr std::array<std::string_view, 3> kNames = {"os", "architecture", "variant"};
  for (std::size_t i = 0; i < parts.size(); ++i) {
    // A lone part is an os or an architecture; it is named after what it is checked as.
    const std::string_view name = parts.size() == 1 ? "os or architecture" : kNames[i];
    if (parts[i].empty()) return InvalidPlatform(text, "empty " + std::string(name));
    if (i == 0 && parts[i].find('(') != std::string_view::npos) {
      return InvalidPlatform(text, "os version and os features \"os(...)\" are not supported");
    }
    const bool valid = i == 0 ? IsOsComponent(parts[i]) : IsSpecifierComponent(parts[i]);
    if (!valid) {
      return InvalidPlatform(text, Quote(parts[i]) + " is not a valid " + std::string(name) +
                                       ": want letters, digits" +
                                       (i == 0 ? ", '_' or '-'" : ", '_', '.' or '-'"));
    }
  }

  Platform p;
  if (parts.size() == 1) {
    // containerd tries the os first, then the architecture; the missing half comes from the
    // host (runtime.GOOS/GOARCH there; buildtool only runs on linux).
    const std::string os = NormalizeOs(parts[0]);
    if (IsKnownOs(os)) {
      const Platform host = HostPlatform();
      p.os = os;
      p.architecture = host.architecture;
      p.variant = host.variant;
      return p;
    }
    p.architecture = std::string(parts[0]);
    NormalizeArch(p.architecture, p.variant);
    if (!IsKnownArch(p.architecture)) {
      return InvalidPlatform(text, "unknown operating system or architecture");
    }
    p.os = "linux";
    return p;
  }
  p.os = NormalizeOs(parts[0]);
  p.architecture = std::string(parts[1]);
  if (parts.size() == 3) p.variant = std::string(parts[2]);
  NormalizeArch(p.architecture, p.variant);
  return p;
}

// The compiler's target macros name the CPU buildtool was built for; the names are Go's
// GOARCH values, which is what OCI platforms use.
Platform HostPlatform() {
  Platform p;
  p.os = "linux";
#if defined(__x86_64__)
  p.architecture = "amd64";
#elif defined(__aarch64__)
  p.architecture = "arm64";
#elif defined(__i386__)
  p.architecture = "386";
#elif defined(__arm__)
  p.architecture = "arm";
#if defined(__ARM_ARCH) && __ARM_ARCH >= 8
  p.variant = "v8";
#elif defined(__ARM_ARCH) && __ARM_ARCH == 6
  p.variant = "v6";
#elif defined(__ARM_ARCH) && __ARM_ARCH == 5
  p.variant = "v5";
#else
  p.variant = "v7";
#endif
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  p.architecture = "ppc64le";
#elif defined(__powerpc64__)
  p.architecture = "ppc64";
#elif defined(__s390x__)
  p.architecture = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  p.architecture = "riscv64";
#elif defined(__loongarch64)
  p.architecture = "loong64";
#elif defined(__mips64) && defined(__MIPSEL__)
  p.architecture = "mips64le";
#elif defined(__mips64)
  p.architecture = "mips64";
#elif defined(__mips__) && defined(__MIPSEL__)
  p.architecture = "mipsle";
#elif defined(__mips__)
  p.architecture = "mips";
#else
#error "unknown target CPU: add its GOARCH name to HostPlatform"
#endif
  return p;
}

}  // namespace bt::oci
