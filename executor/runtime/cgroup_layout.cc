#include "executor/runtime/cgroup_layout.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "base/unique_fd.h"

namespace bt::executor::runtime {
namespace {

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(sep, start);
    out.push_back(
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string_view oct = s.substr(i + 1, 3);
      if (oct.size() == 3 &&
          std::all_of(oct.begin(), oct.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out.push_back(static_cast<char>((oct[0] - '0') * 64 + (oct[1] - '0') * 8 + (oct[2] - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

bool IsMountOption(std::string_view opt) {
  return opt == "rw" || opt == "ro" || opt == "xattr" || opt == "noprefix" ||
         opt == "clone_children" || opt.rfind("release_agent=", 0) == 0 ||
         opt == "cpuset_v2_mode" || opt == "favordynmods" || opt == "nsdelegate" ||
         opt == "memory_recursiveprot" || opt == "memory_localevents" ||
         opt == "memory_hugetlb_accounting";
}

}  // namespace

const CgroupHierarchy* CgroupLayout::FindV1(std::string_view controller) const {
  for (const CgroupHierarchy& h : v1) {
    if (std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end()) {
      return &h;
    }
  }
  return nullptr;
}

Result<CgroupLayout> ParseCgroupLayout(std::string_view mountinfo, std::string_view cgroup_file) {
  CgroupLayout layout;
  for (const std::string_view line : Split(mountinfo, '\n')) {
    if (line.empty()) continue;
    const std::vector<std::string_view> f = Split(line, ' ');
    const auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 10 || dash == f.end() || f.end() - dash < 4) {
      return MakeError(ErrorCode::kDataLoss, "parse /proc/self/mountinfo: malformed line");
    }
    const std::string_view fstype = dash[1];
    const std::string mount_point = Unescape(f[4]);
    if (fstype == "cgroup2") {
      // The hybrid layout mounts cgroup2 at /sys/fs/cgroup/unified; keep the canonical one.
      if (layout.v2_mount_point.empty() || mount_point == "/sys/fs/cgroup") {
        layout.v2_mount_point = mount_point;
      }
      if (mount_point == "/sys/fs/cgroup") layout.unified = true;
      continue;
    }
    if (fstype != "cgroup") continue;
    CgroupHierarchy h;
    h.mount_point = mount_point;
    h.root = Unescape(f[3]);
    for (const std::string_view opt : Split(dash[3], ',')) {
      if (!IsMountOption(opt)) h.controllers.emplace_back(opt);
    }
    // A hierarchy can be mounted more than once (a bind of /sys into a chroot, say): one entry
    // per hierarchy, the first one, as runc's GetCgroupMounts, unless a later one is the
    // canonical mount under /sys/fs/cgroup.
    const auto same = std::find_if(layout.v1.begin(), layout.v1.end(), [&](const CgroupHierarchy& o) {
      return o.controllers == h.controllers;
    });
    if (same != layout.v1.end()) {
      const auto canonical = [](const std::string& p) { return p.rfind("/sys/fs/cgroup/", 0) == 0; };
      if (!canonical(same->mount_point) && canonical(h.mount_point)) *same = std::move(h);
      continue;
    }
    layout.v1.push_back(std::move(h));
  }
  for (const std::string_view line : Split(cgroup_file, '\n')) {
    if (line.empty()) continue;
    const std::size_t c1 = line.find(':');
    const std::size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) {
      return MakeError(ErrorCode::kDataLoss, "parse /proc/self/cgroup: malformed line");
    }
    const std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
    const std::string_view path = line.substr(c2 + 1);
    if (controllers.empty()) {
      layout.v2_own_path = std::string(path);
      continue;
    }
    const std::vector<std::string_view> names = Split(controllers, ',');
    for (CgroupHierarchy& h : layout.v1) {
      if (std::any_of(names.begin(), names.end(), [&](std::string_view n) {
            return std::find(h.controllers.begin(), h.controllers.end(), n) != h.controllers.end();
          })) {
        h.own_path = std::string(path);
      }
    }
  }
  return layout;
}

std::string HierarchyDirectory(const CgroupHierarchy& h, std::string_view path) {
  if (h.root == "/") return h.mount_point + (path == "/" ? "" : std::string(path));
  if (path.rfind(h.root, 0) != 0) return "";
  const std::string_view rest = path.substr(h.root.size());
  if (!rest.empty() && rest.front() != '/') return "";
  return h.mount_point + std::string(rest);
}

Result<std::string> ReadSmallFile(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open", path, errno);
  std::string out;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read", path, errno);
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

Result<CgroupLayout> ReadCgroupLayout() {
  BT_ASSIGN_OR_RETURN(const std::string mountinfo, ReadSmallFile("/proc/self/mountinfo"));
  BT_ASSIGN_OR_RETURN(const std::string cgroup, ReadSmallFile("/proc/self/cgroup"));
  return ParseCgroupLayout(mountinfo, cgroup);
}

}  // namespace bt::executor::runtime
