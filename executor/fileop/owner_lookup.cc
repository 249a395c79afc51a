#include "executor/fileop/owner_lookup.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "executor/fileop/account_files.h"

namespace bt::executor {
namespace {

// The uid and primary gid of the first /etc/passwd entry named `name`.
Result<std::optional<UidGid>> FindUser(const std::string& text, std::string_view name) {
  for (const PasswdEntry& e : ParsePasswd(text)) {
    if (e.name != name) continue;
    UidGid ids;
    BT_ASSIGN_OR_RETURN(ids.uid, AccountIdValue(e.uid, "/etc/passwd", name));
    BT_ASSIGN_OR_RETURN(ids.gid, AccountIdValue(e.gid, "/etc/passwd", name));
    return std::optional<UidGid>(ids);
  }
  return std::optional<UidGid>();
}

// The gid of the first /etc/group entry named `name`.
Result<std::optional<gid_t>> FindGroup(const std::string& text, std::string_view name) {
  for (const GroupEntry& e : ParseGroup(text)) {
    if (e.name != name) continue;
    BT_ASSIGN_OR_RETURN(const uint32_t gid, AccountIdValue(e.gid, "/etc/group", name));
    return std::optional<gid_t>(gid);
  }
  return std::optional<gid_t>();
}

}  // namespace

Result<std::optional<UidGid>> ResolveOwner(const std::optional<Owner>& owner, const RootDir& root,
                                           UnknownOwnerName unknown) {
  if (!owner) return std::optional<UidGid>();
  UidGid out;
  if (const auto* id = std::get_if<uint32_t>(&owner->user)) {
    out.uid = *id;
    out.gid = *id;
  } else {
    const std::string& name = std::get<std::string>(owner->user);
    BT_ASSIGN_OR_RETURN(std::optional<std::string> text,
                        ReadAccountFile(root, "/etc/passwd", UnreadableAccountFile::kError));
    std::optional<UidGid> e;
    if (text) {
      BT_ASSIGN_OR_RETURN(e, FindUser(*text, name));
    }
    if (e) {
      out = *e;
    } else if (unknown == UnknownOwnerName::kError) {
      return MakeError(ErrorCode::kNotFound,
                       "unable to find user " + name + ": no matching entries in passwd file");
    }
  }
  if (owner->group) {
    if (const auto* id = std::get_if<uint32_t>(&*owner->group)) {
      out.gid = *id;
    } else {
      const std::string& name = std::get<std::string>(*owner->group);
      BT_ASSIGN_OR_RETURN(std::optional<std::string> text,
                          ReadAccountFile(root, "/etc/group", UnreadableAccountFile::kError));
      std::optional<gid_t> gid;
      if (text) {
        BT_ASSIGN_OR_RETURN(gid, FindGroup(*text, name));
      }
      if (gid) {
        out.gid = *gid;
      } else if (unknown == UnknownOwnerName::kError) {
        return MakeError(ErrorCode::kNotFound,
                         "unable to find group " + name + ": no matching entries in group file");
      }
      // Otherwise the gid stays what the user gave (readUser's `break`).
    }
  }
  return std::optional<UidGid>(out);
}

}  // namespace bt::executor
