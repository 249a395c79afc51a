#include "cache/metadata_records.h"

namespace bt::cache {

bool IsValidLeaseId(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace bt::cache
