#include "tests/support/conformance.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace bt::test {

std::filesystem::path ConformancePath(const std::string& relative) {
  return std::filesystem::path(BT_SHARED_DIR) / "conformance" / relative;
}

std::vector<std::filesystem::path> CaseDirs(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_directory()) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace bt::test
