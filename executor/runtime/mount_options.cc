#include "executor/runtime/mount_options.h"

#include <sys/mount.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "executor/runtime/json_fields.h"

namespace bt::executor::runtime {
namespace {

struct AttributeOption {
  std::string_view name;
  unsigned set;
  unsigned clear;
};

// The options of mount(8) that are per-mount attributes. The atime modes clear the whole
// MOUNT_ATTR__ATIME field first, which mount_setattr requires to change it.
constexpr std::array<AttributeOption, 16> kAttributes = {{
    {"ro", MOUNT_ATTR_RDONLY, 0},
    {"rw", 0, MOUNT_ATTR_RDONLY},
    {"nosuid", MOUNT_ATTR_NOSUID, 0},
    {"suid", 0, MOUNT_ATTR_NOSUID},
    {"nodev", MOUNT_ATTR_NODEV, 0},
    {"dev", 0, MOUNT_ATTR_NODEV},
    {"noexec", MOUNT_ATTR_NOEXEC, 0},
    {"exec", 0, MOUNT_ATTR_NOEXEC},
    {"noatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
    {"relatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"strictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
    {"atime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"nodiratime", MOUNT_ATTR_NODIRATIME, 0},
    {"diratime", 0, MOUNT_ATTR_NODIRATIME},
    {"nosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0},
    {"symfollow", 0, MOUNT_ATTR_NOSYMFOLLOW},
}};

constexpr std::array<std::pair<std::string_view, unsigned long>, 8> kPropagation = {{
    {"private", MS_PRIVATE},
    {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},
    {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},
    {"runbindable", MS_UNBINDABLE | MS_REC},
}};

// Filesystem options each type accepts: `flag` ones take no value, the others need one.
struct DataOption {
  std::string_view type;
  std::string_view key;
  bool flag;
};
constexpr std::array<DataOption, 15> kDataOptions = {{
    {"tmpfs", "size", false},
    {"tmpfs", "mode", false},
    {"tmpfs", "uid", false},
    {"tmpfs", "gid", false},
    {"tmpfs", "nr_inodes", false},
    {"tmpfs", "nr_blocks", false},
    {"devpts", "newinstance", true},
    {"devpts", "ptmxmode", false},
    {"devpts", "mode", false},
    {"devpts", "gid", false},
    {"devpts", "uid", false},
    {"devpts", "max", false},
    {"proc", "hidepid", false},
    {"proc", "subset", false},
    {"proc", "gid", false},
}};  // mqueue, sysfs and cgroup take none

bool IsOctalOrDecimal(std::string_view v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool MountOptions::read_only() const { return (attr_set & MOUNT_ATTR_RDONLY) != 0; }

Result<MountOptions> ParseMountOptions(const Mount& mount, const std::string& field) {
  MountOptions out;
  const bool is_bind = mount.type == "bind";
  for (std::size_t i = 0; i < mount.options.size(); ++i) {
    const std::string& opt = mount.options[i];
    const std::string where = ItemPath(field + ".options", i);
    if (opt == "defaults") continue;
    if (opt == "bind" || opt == "rbind") {
      out.recursive = out.recursive || opt == "rbind";
      continue;
    }
    const auto attr = std::find_if(kAttributes.begin(), kAttributes.end(),
                                   [&](const AttributeOption& a) { return a.name == opt; });
    if (attr != kAttributes.end()) {
      // A later option overrides an earlier one, as with mount(8): "ro,rw" is rw.
      out.attr_set = (out.attr_set & ~attr->clear) | attr->set;
      out.attr_clr = (out.attr_clr & ~attr->set) | attr->clear;
      continue;
    }
    const auto prop = std::find_if(kPropagation.begin(), kPropagation.end(),
                                   [&](const auto& p) { return p.first == opt; });
    if (prop != kPropagation.end()) {
      out.propagation = prop->second;
      continue;
    }
    const std::size_t eq = opt.find('=');
    const std::string key = opt.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : opt.substr(eq + 1);
    const auto data = std::find_if(
        kDataOptions.begin(), kDataOptions.end(),
        [&](const DataOption& d) { return d.type == mount.type && d.key == key && !key.empty(); });
    if (data == kDataOptions.end()) {
      if (is_bind && eq != std::string::npos) {
        return FieldError(where, "\"" + opt + "\": a bind mount takes no filesystem options");
      }
      return FieldError(
          where, "\"" + opt + "\" is unknown or not implemented for a " + mount.type + " mount");
    }
    if (data->flag != (eq == std::string::npos)) {
      return FieldError(
          where, data->flag ? "\"" + key + "\" takes no value" : "\"" + key + "\" needs a value");
    }
    if ((key == "mode" || key == "ptmxmode" || key == "uid" || key == "gid") &&
        !IsOctalOrDecimal(value)) {
      return FieldError(where, "\"" + opt + "\": the value must be a number");
    }
    out.data.emplace_back(key, value);
  }
  if (!is_bind && out.recursive) return FieldError(field + ".options", "rbind on a non-bind mount");
  return out;
}

}  // namespace bt::executor::runtime
